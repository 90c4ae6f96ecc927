package manifest

import (
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
)

// Stage copies the files of every component of a local lock (as Load
// returns it: one entry per file) into dir/<component id>/<guest path> and
// returns a copy of app whose components mount that directory at "/", as
// Spin's loader does before running an app. The guest then sees exactly
// the tree a pushed and pulled artifact gives it. dir must exist.
func Stage(app *lock.LockedApp, dir string) (*lock.LockedApp, error) {
	out := *app
	out.Components = make([]lock.Component, len(app.Components))
	for i, c := range app.Components {
		out.Components[i] = c
		if len(c.Files) == 0 {
			continue
		}
		mounts, err := appdir.Mounts(&c)
		if err != nil {
			return nil, err
		}
		root := filepath.Join(dir, c.ID)
		if err := os.MkdirAll(root, 0o755); err != nil {
			return nil, fmt.Errorf("staging files of component %q: %w", c.ID, err)
		}
		for _, m := range mounts {
			guest := path.Clean("/" + m.GuestPath)
			if guest == "/" {
				return nil, fmt.Errorf("staging files of component %q: %s is mounted at /: want one entry per file", c.ID, m.HostPath)
			}
			dst := filepath.Join(root, filepath.FromSlash(guest))
			if err := appdir.CopyPath(dst, m.HostPath); err != nil {
				return nil, fmt.Errorf("staging files of component %q: %w", c.ID, err)
			}
		}
		out.Components[i].Files = []lock.ContentPath{{ContentRef: lock.ContentRef{Source: appdir.FileURI(root)}, Path: "/"}}
	}
	return &out, nil
}
