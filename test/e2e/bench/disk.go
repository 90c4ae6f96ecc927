package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
)

// diskUsage is the disk space allocated to the files under roots (as du
// counts it): each inode once, so hard links and bind mounts of the same
// file count once, and nothing on another file system (proc, tmpfs, a
// container's rootfs mount) is walked.
func diskUsage(roots ...string) (int64, error) {
	type inode struct{ dev, ino uint64 }
	seen := map[inode]bool{}
	var total int64
	for _, root := range roots {
		var rootDev uint64
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if path != root && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)) {
					return nil // gone while walking, or a sandbox-only directory
				}
				return err
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			st, ok := info.Sys().(*syscall.Stat_t)
			if !ok {
				return fmt.Errorf("%s: no stat", path)
			}
			if path == root {
				rootDev = st.Dev
			} else if st.Dev != rootDev {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			key := inode{st.Dev, st.Ino}
			if !seen[key] {
				seen[key] = true
				total += st.Blocks * 512
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("disk usage of %s: %w", root, err)
		}
	}
	return total, nil
}
