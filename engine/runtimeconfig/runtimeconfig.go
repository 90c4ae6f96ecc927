package runtimeconfig

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Section is the parser of one top-level section (table, table of tables
// or array of tables) of the file.
type Section struct {
	// Name is the TOML key, such as "key_value_store".
	Name string
	// Parse decodes the section's raw value (use Decode). Errors name what
	// is wrong inside the section; Parse prefixes the section.
	Parse func(raw any, f *File) error
}

// File is a runtime config file being parsed.
type File struct {
	// Path is the file's path ("" for in-memory input).
	Path string
	// Name is the file's path as its user knows it (in a container: its
	// path there), used in messages and, with Container, as the base of
	// relative paths. "" means Path.
	Name string
	// Container says the file is a container's: the paths in it are the
	// container's, reached on the host through Volumes; a path on none of
	// them is an error.
	Container bool
	// Volumes are the container's volumes the file's paths may be on.
	Volumes []Volume
}

// Volume is a directory (or file) of a container and where it is on the
// host.
type Volume struct {
	// Dest is the path in the container, Source the host path.
	Dest, Source string
}

// ParseVolume parses "DEST=SOURCE".
func ParseVolume(s string) (Volume, error) {
	dest, source, ok := strings.Cut(s, "=")
	if !ok || !path.IsAbs(dest) || !filepath.IsAbs(source) {
		return Volume{}, fmt.Errorf("volume %q: want DEST=SOURCE, both absolute", s)
	}
	return Volume{Dest: path.Clean(dest), Source: filepath.Clean(source)}, nil
}

func (f *File) name() string {
	if f.Name != "" {
		return f.Name
	}
	return f.Path
}

// Resolve turns a path from the file into a host path: relative paths are
// relative to the file's directory, as in Spin; a container's paths go
// through its Volumes (the one with the longest destination holding the
// path).
func (f *File) Resolve(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	if !f.Container {
		if filepath.IsAbs(p) || f.Path == "" {
			return p, nil
		}
		return filepath.Join(filepath.Dir(f.Path), p), nil
	}
	in := p
	if !path.IsAbs(in) {
		in = path.Join(path.Dir(f.name()), in)
	}
	in = path.Clean(in)
	var best *Volume
	for i, v := range f.Volumes {
		if (v.Dest == in || v.Dest == "/" || strings.HasPrefix(in, v.Dest+"/")) && (best == nil || len(v.Dest) > len(best.Dest)) {
			best = &f.Volumes[i]
		}
	}
	if best == nil {
		return "", fmt.Errorf("path %q is %s in the container, which is on no volume: mount one there", p, in)
	}
	return filepath.Join(best.Source, strings.TrimPrefix(in, best.Dest)), nil
}

// ReadFile reads and parses the runtime config file at path with sections.
func ReadFile(path string, sections ...Section) error {
	return (&File{Path: path}).Read(sections...)
}

// Read reads and parses the file at f.Path with sections.
func (f *File) Read(sections ...Section) error {
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return fmt.Errorf("runtime config %s: %w", f.name(), err)
	}
	return Parse(f, data, sections...)
}

// Parse parses data, the contents of f, handing each top-level section to
// the Section named after it. An unknown section is an error that names
// it and the sections this runtime knows.
func Parse(f *File, data []byte, sections ...Section) error {
	where := "runtime config"
	if f.name() != "" {
		where = "runtime config " + f.name()
	}
	var top map[string]any
	if err := toml.Unmarshal(data, &top); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	byName := map[string]Section{}
	var known []string
	for _, s := range sections {
		byName[s.Name] = s
		known = append(known, s.Name)
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var errs []error
	for _, k := range keys {
		s, ok := byName[k]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: unknown section %q (this runtime supports %s)", where, k, strings.Join(known, ", ")))
			continue
		}
		if err := s.Parse(top[k], f); err != nil {
			errs = append(errs, fmt.Errorf("%s: [%s]: %w", where, k, err))
		}
	}
	return errors.Join(errs...)
}

// Decode decodes a section's raw value (or part of it) into v, a pointer
// to a struct with toml tags; keys v has no field for are an error naming
// them.
func Decode(raw any, v any) error {
	data, err := toml.Marshal(raw)
	if err != nil {
		return err
	}
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) {
			var names []string
			for _, e := range strict.Errors {
				names = append(names, strings.Join(e.Key(), "."))
			}
			return fmt.Errorf("unknown option %s", strings.Join(names, ", "))
		}
		return err
	}
	return nil
}

// Tables reads a section that is a table of tables ([section.<label>]),
// decoding each label's table with decode. Labels are visited in order.
func Tables(raw any, decode func(label string, table any) error) error {
	m, ok := raw.(map[string]any)
	if !ok {
		return errors.New("want a table of [<section>.<label>] tables")
	}
	labels := make([]string, 0, len(m))
	for l := range m {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	var errs []error
	for _, l := range labels {
		if _, ok := m[l].(map[string]any); !ok {
			errs = append(errs, fmt.Errorf("%q: want a table", l))
			continue
		}
		if err := decode(l, m[l]); err != nil {
			errs = append(errs, fmt.Errorf("%q: %w", l, err))
		}
	}
	return errors.Join(errs...)
}

// Array reads a section that is an array of tables ([[section]]).
func Array(raw any, decode func(i int, table any) error) error {
	list, ok := raw.([]any)
	if !ok {
		return errors.New("want an array of tables ([[...]])")
	}
	var errs []error
	for i, t := range list {
		if _, ok := t.(map[string]any); !ok {
			errs = append(errs, fmt.Errorf("entry %d: want a table", i+1))
			continue
		}
		if err := decode(i, t); err != nil {
			errs = append(errs, fmt.Errorf("entry %d: %w", i+1, err))
		}
	}
	return errors.Join(errs...)
}

// Type reads the "type" key of a table, which every Spin runtime-config
// entry has.
func Type(table any) (string, error) {
	m, _ := table.(map[string]any)
	t, ok := m["type"].(string)
	if !ok || t == "" {
		return "", errors.New(`missing "type"`)
	}
	return t, nil
}

// TypeOf reads the "type" of an entry and checks that it is one of
// supported; the error of another names it and the supported ones.
func TypeOf(table any, supported ...string) (string, error) {
	t, err := Type(table)
	if err != nil {
		return "", err
	}
	if !slices.Contains(supported, t) {
		quoted := make([]string, len(supported))
		for i, s := range supported {
			quoted[i] = strconv.Quote(s)
		}
		return "", fmt.Errorf("unsupported type %q (this runtime supports %s)", t, strings.Join(quoted, ", "))
	}
	return t, nil
}
