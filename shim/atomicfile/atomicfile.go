// Package atomicfile writes a file whole or not at all: readers of a path
// (the delete action, containerd 1.7, the server) see either the old
// content or the new, never a partial write. It is shared by the shim's
// binaries, so it imports nothing but the standard library.
package atomicfile

import "os"

// Write writes data to a temporary file next to path and renames it over
// path; on failure path is as it was and no temporary file is left.
func Write(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, perm); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}
