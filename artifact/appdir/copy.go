package appdir

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CopyFile writes what src reads into dst (mode 0644, replacing a file
// there), creating dst's directory first.
func CopyFile(dst string, src io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, src); err != nil {
		out.Close()
		return fmt.Errorf("copying to %s: %w", dst, err)
	}
	return out.Close()
}

// CopyPath copies the file at src to dst (see CopyFile).
func CopyPath(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return CopyFile(dst, in)
}
