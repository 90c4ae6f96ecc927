package coremodule

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/spinoci/spinoci/artifact/appdir"
)

// Preopen is a host directory exposed read-only to a guest at GuestPath.
type Preopen struct {
	HostDir, GuestPath string
}

// Preopens turns a component's mounts into directory preopens, root mount
// first (some WAGI modules open paths relative to the first preopen). WASI
// can only preopen directories, so single-file mounts are copied into a
// directory per guest parent under a directory returned by stage.
func Preopens(mounts []appdir.Mount, stage func() (string, error)) ([]Preopen, error) {
	var out []Preopen
	staged := map[string]string{} // guest dir -> staging dir
	for _, m := range mounts {
		guest := path.Clean("/" + m.GuestPath)
		fi, err := os.Stat(m.HostPath)
		if err != nil {
			return nil, fmt.Errorf("mount %q: %w", m.GuestPath, err)
		}
		if fi.IsDir() {
			out = append(out, Preopen{HostDir: m.HostPath, GuestPath: guest})
			continue
		}
		if guest == "/" {
			return nil, fmt.Errorf("mount %q: a file cannot be mounted at /", m.GuestPath)
		}
		gdir := path.Dir(guest)
		dir, ok := staged[gdir]
		if !ok {
			root, err := stage()
			if err != nil {
				return nil, fmt.Errorf("mount %q: %w", m.GuestPath, err)
			}
			dir, err = os.MkdirTemp(root, "mount-")
			if err != nil {
				return nil, fmt.Errorf("mount %q: %w", m.GuestPath, err)
			}
			staged[gdir] = dir
			out = append(out, Preopen{HostDir: dir, GuestPath: gdir})
		}
		if err := appdir.CopyPath(filepath.Join(dir, path.Base(guest)), m.HostPath); err != nil {
			return nil, fmt.Errorf("mount %q: %w", m.GuestPath, err)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].GuestPath == "/" && out[j].GuestPath != "/"
	})
	return out, nil
}
