package manifest

import (
	"errors"
	"fmt"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
)

// ErrUnknownVersion is wrapped by Load when spin_manifest_version is missing
// or not one spinoci reads.
var ErrUnknownVersion = errors.New("unknown manifest version")

// Error is a problem in a manifest, located by file, line (0 when unknown)
// and key (e.g. "component[0].source").
type Error struct {
	File   string
	Line   int
	Column int
	Key    string
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// displayKey turns an internal key path ("component.0.files.1") into the
// form shown to users ("component[0].files[1]").
func displayKey(path string) string {
	var b strings.Builder
	for i, seg := range strings.Split(path, ".") {
		switch {
		case isIndex(seg):
			b.WriteString("[" + seg + "]")
		case i > 0:
			b.WriteString("." + seg)
		default:
			b.WriteString(seg)
		}
	}
	return b.String()
}

func isIndex(seg string) bool {
	for _, r := range seg {
		if r < '0' || r > '9' {
			return false
		}
	}
	return seg != ""
}

// tomlError converts a go-toml error into an Error with its position.
func tomlError(file string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		errs := make([]error, 0, len(strict.Errors))
		for i := range strict.Errors {
			de := &strict.Errors[i]
			line, col := de.Position()
			errs = append(errs, &Error{File: file, Line: line, Column: col, Key: strings.Join(de.Key(), "."),
				Err: errors.New("unknown key (not part of this manifest version; check its spelling)")})
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		return &Error{File: file, Line: line, Column: col, Key: strings.Join(de.Key(), "."), Err: errors.New(msg)}
	}
	return &Error{File: file, Err: err}
}
