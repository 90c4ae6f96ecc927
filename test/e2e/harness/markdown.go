package harness

import (
	"os"
	"strings"
)

// WriteMarkdownSections updates the markdown file at path with generated:
// a non-empty preamble (text before the first "## " heading) replaces the
// file's, each "## " section of generated replaces the file's section with
// the same heading in place (or is appended), and the file's other sections
// stay. So `make bench` and `make bench-components` each own their sections
// of one file.
func WriteMarkdownSections(path, generated string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	newPre, newSections := splitMarkdown(generated)
	pre, sections := splitMarkdown(string(old))
	if strings.TrimSpace(newPre) != "" {
		pre = newPre
	}
	for _, ns := range newSections {
		replaced := false
		for i := range sections {
			if sections[i].heading == ns.heading {
				sections[i] = ns
				replaced = true
			}
		}
		if !replaced {
			sections = append(sections, ns)
		}
	}
	var b strings.Builder
	b.WriteString(pre)
	for _, s := range sections {
		b.WriteString(ensureBlankLine(s.text))
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.TrimRight(b.String(), "\n")+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

type markdownSection struct {
	heading string // the "## " line
	text    string // heading line and body
}

func splitMarkdown(text string) (string, []markdownSection) {
	lines := strings.SplitAfter(text, "\n")
	var pre strings.Builder
	var sections []markdownSection
	for _, line := range lines {
		if strings.HasPrefix(line, "## ") {
			sections = append(sections, markdownSection{heading: strings.TrimSpace(line)})
		}
		if len(sections) == 0 {
			pre.WriteString(line)
			continue
		}
		sections[len(sections)-1].text += line
	}
	return ensureBlankLine(pre.String()), sections
}

func ensureBlankLine(s string) string {
	if s == "" {
		return s
	}
	return strings.TrimRight(s, "\n") + "\n\n"
}
