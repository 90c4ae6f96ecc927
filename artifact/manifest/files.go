package manifest

import (
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// file is a regular host file and where the guest sees it.
type file struct {
	host  string // absolute host path
	guest string // absolute guest path, '/'-separated
}

// files collects a component's `files` (glob patterns relative to the
// manifest, and `{ source, destination }` placements of a directory or a
// file), minus those matching `exclude_files` (patterns matched against the
// path relative to the manifest directory). A file placed twice keeps the
// last placement. The result is sorted by guest path.
func (l *loader) files(key string, raw []any, excludeKey string, exclude []string) ([]file, error) {
	for i, pat := range exclude {
		if _, err := path.Match(pat, ""); err != nil || pat == "" {
			return nil, l.errAt(excludeKey+"."+strconv.Itoa(i), "invalid glob pattern %q", pat)
		}
	}
	excluded := func(host string) bool {
		rel, err := filepath.Rel(l.dir, host)
		if err != nil || strings.HasPrefix(rel, "..") {
			return false
		}
		for _, pat := range exclude {
			if globMatch(pat, filepath.ToSlash(rel)) {
				return true
			}
		}
		return false
	}
	byGuest := map[string]string{}
	for i, item := range raw {
		itemKey := key + "." + strconv.Itoa(i)
		var got []file
		var err error
		switch v := item.(type) {
		case string:
			got, err = l.pattern(itemKey, v)
		case map[string]any:
			got, err = l.placement(itemKey, v)
		default:
			err = l.errAt(itemKey, "must be a glob pattern or { source = \"dir\", destination = \"/path\" }, not %s", tomlValue(item))
		}
		if err != nil {
			return nil, err
		}
		for _, f := range got {
			if !excluded(f.host) {
				byGuest[f.guest] = f.host
			}
		}
	}
	out := make([]file, 0, len(byGuest))
	for g, h := range byGuest {
		out = append(out, file{host: h, guest: g})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].guest < out[j].guest })
	return out, nil
}

// pattern expands a glob pattern relative to the manifest directory. Each
// regular file it matches appears in the guest at its relative path. A
// pattern without glob characters must name an existing file.
func (l *loader) pattern(key, pat string) ([]file, error) {
	clean := path.Clean(pat)
	switch {
	case pat == "":
		return nil, l.errAt(key, "empty pattern")
	case path.IsAbs(pat) || filepath.IsAbs(pat):
		return nil, l.errAt(key, "pattern %q must be relative to the manifest directory", pat)
	case clean == ".." || strings.HasPrefix(clean, "../"):
		return nil, l.errAt(key, "pattern %q leaves the manifest directory: use { source = %q, destination = \"/...\" }", pat, pat)
	}
	if _, err := path.Match(clean, ""); err != nil {
		return nil, l.errAt(key, "invalid glob pattern %q", pat)
	}
	if !hasMeta(clean) {
		host := filepath.Join(l.dir, filepath.FromSlash(clean))
		fi, err := os.Stat(host)
		switch {
		case os.IsNotExist(err):
			return nil, l.errAt(key, "file %q not found (looked for %s)", pat, host)
		case err != nil:
			return nil, l.errAt(key, "file %q: %v", pat, err)
		case fi.IsDir():
			return nil, l.errAt(key, "%q is a directory: use { source = %q, destination = \"/\" } or a pattern like \"%s/**/*\"", pat, pat, clean)
		case !fi.Mode().IsRegular():
			return nil, l.errAt(key, "%q is not a regular file", pat)
		}
		return []file{{host: host, guest: "/" + clean}}, nil
	}
	// Walk only below the pattern's literal prefix.
	segs := strings.Split(clean, "/")
	base := 0
	for base < len(segs)-1 && !hasMeta(segs[base]) {
		base++
	}
	root := filepath.Join(l.dir, filepath.FromSlash(strings.Join(segs[:base], "/")))
	var out []file
	err := walkFiles(root, func(host string) {
		rel, err := filepath.Rel(l.dir, host)
		if err == nil && globMatch(clean, filepath.ToSlash(rel)) {
			out = append(out, file{host: host, guest: "/" + filepath.ToSlash(rel)})
		}
	})
	if err != nil && !os.IsNotExist(err) {
		return nil, l.errAt(key, "expanding %q: %v", pat, err)
	}
	return out, nil
}

// placement expands `{ source = "dir-or-file", destination = "/guest/path" }`.
func (l *loader) placement(key string, m map[string]any) ([]file, error) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k != "source" && k != "destination" {
			return nil, l.errAt(key+"."+k, "unknown key: a files placement has source and destination")
		}
	}
	src, ok := m["source"].(string)
	if !ok || src == "" {
		return nil, l.errAt(key+".source", "missing or not a string: give a directory or file relative to the manifest")
	}
	dst, ok := m["destination"].(string)
	if !ok || !strings.HasPrefix(dst, "/") {
		return nil, l.errAt(key+".destination", "missing or not an absolute guest path (e.g. \"/\" or \"/static\")")
	}
	dst = path.Clean(dst)
	host := l.hostPath(src)
	fi, err := os.Stat(host)
	switch {
	case os.IsNotExist(err):
		return nil, l.errAt(key+".source", "%q not found (looked for %s)", src, host)
	case err != nil:
		return nil, l.errAt(key+".source", "%q: %v", src, err)
	case fi.Mode().IsRegular():
		if dst == "/" {
			return nil, l.errAt(key+".destination", "a file cannot be placed at \"/\": give its guest path, e.g. \"/%s\"", filepath.Base(host))
		}
		return []file{{host: host, guest: dst}}, nil
	case !fi.IsDir():
		return nil, l.errAt(key+".source", "%q is neither a directory nor a regular file", src)
	}
	var out []file
	err = walkFiles(host, func(p string) {
		rel, _ := filepath.Rel(host, p)
		out = append(out, file{host: p, guest: path.Join(dst, filepath.ToSlash(rel))})
	})
	if err != nil {
		return nil, l.errAt(key+".source", "reading %q: %v", src, err)
	}
	return out, nil
}

// walkFiles calls fn with every regular file under root, in lexical order,
// following symlinks to files (not to directories, which could loop).
func walkFiles(root string, fn func(host string)) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.Type().IsRegular():
			fn(p)
		case d.Type()&fs.ModeSymlink != 0:
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				fn(p)
			}
		}
		return nil
	})
}

func hasMeta(s string) bool { return strings.ContainsAny(s, "*?[\\") }

// globMatch matches a '/'-separated name against a glob pattern whose
// segments follow path.Match, plus "**" matching any number of segments.
func globMatch(pattern, name string) bool {
	return matchSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchSegments(pat, name []string) bool {
	if len(pat) == 0 {
		return len(name) == 0
	}
	if pat[0] == "**" {
		if matchSegments(pat[1:], name) {
			return true
		}
		return len(name) > 0 && matchSegments(pat, name[1:])
	}
	if len(name) == 0 {
		return false
	}
	ok, err := path.Match(pat[0], name[0])
	return err == nil && ok && matchSegments(pat[1:], name[1:])
}
