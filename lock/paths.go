package lock

import (
	"fmt"
	"strings"
)

// CheckFilePath validates the path of a files entry in a lock to be
// materialised: relative, '/'-separated, every segment a plain name. Spin
// only writes such paths (it rejects anything but Normal path components), so
// refusing the rest (including "." and empty segments) costs nothing and
// keeps every write inside the component's directory.
func CheckFilePath(p string) error {
	if p == "" {
		return fmt.Errorf("empty path: %w", ErrInvalid)
	}
	if strings.HasPrefix(p, "/") {
		return fmt.Errorf("path %q is absolute: %w", p, ErrInvalid)
	}
	if strings.ContainsAny(p, "\\\x00") {
		return fmt.Errorf("path %q contains a backslash or NUL: %w", p, ErrInvalid)
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			return fmt.Errorf("path %q has an empty segment: %w", p, ErrInvalid)
		case ".", "..":
			return fmt.Errorf("path %q has a %q segment: %w", p, seg, ErrInvalid)
		}
	}
	return nil
}
