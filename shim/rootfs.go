package shim

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/containerd/api/types"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/log"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/artifact/manifest"
)

// appFromRootfs builds the app directory dir from an ordinary container
// image (e.g. built by `docker buildx` for platform wasi/wasm) whose root
// filesystem holds /spin.toml and the files it names, as the Rust Spin
// shim accepts them. containerd has unpacked the image's layers into a
// snapshot and passes its mounts; they are mounted at mountpoint only while
// the app's files are copied out, so nothing stays mounted.
func appFromRootfs(ctx context.Context, mounts []*types.Mount, mountpoint, dir string) error {
	if err := os.MkdirAll(mountpoint, 0o711); err != nil {
		return fmt.Errorf("creating the rootfs mount point: %w", err)
	}
	ms := mount.FromProto(mounts)
	if err := mount.All(ms, mountpoint); err != nil {
		return fmt.Errorf("mounting the container's rootfs: %w", err)
	}
	defer func() {
		if err := mount.UnmountMounts(ms, mountpoint, 0); err != nil {
			log.G(ctx).WithError(err).Warn("unmounting the container's rootfs")
		}
	}()
	return materializeRootfs(ctx, mountpoint, dir)
}

// materializeRootfs reads rootfs/spin.toml and copies the app it describes
// into dir, with a lock whose sources point there. Every file is read
// through an os.Root at rootfs, so that neither the manifest's paths nor
// symlinks in the image reach outside it.
func materializeRootfs(ctx context.Context, rootfs, dir string) error {
	manifestPath := filepath.Join(rootfs, manifest.FileName)
	if _, err := os.Lstat(manifestPath); err != nil {
		return fmt.Errorf("the image is neither a Spin artifact nor an image whose root filesystem holds /%s", manifest.FileName)
	}
	root, err := os.OpenRoot(rootfs)
	if err != nil {
		return fmt.Errorf("opening the container's rootfs: %w", err)
	}
	defer root.Close()
	app, err := manifest.Load(ctx, manifestPath, manifest.Options{Root: rootfs})
	if err != nil {
		return fmt.Errorf("image rootfs: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing stale app directory: %w", err)
	}
	for i := range app.Components {
		c := &app.Components[i]
		wasm := filepath.Join(dir, "wasm", strconv.Itoa(i)+".wasm")
		if c.Source.Source, err = copyOut(root, rootfs, c.Source.Source, wasm); err != nil {
			return fmt.Errorf("image rootfs: component %q: %w", c.ID, err)
		}
		for j := range c.Files {
			f := &c.Files[j]
			if f.Source == "" {
				continue // inline content
			}
			dst := filepath.Join(dir, "files", strconv.Itoa(i), strconv.Itoa(j))
			if f.Source, err = copyOut(root, rootfs, f.Source, dst); err != nil {
				return fmt.Errorf("image rootfs: component %q: files: %w", c.ID, err)
			}
		}
	}
	data, err := json.MarshalIndent(app, "", "  ")
	if err != nil {
		return fmt.Errorf("writing the app's lock: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, appdir.LockFileName), data, 0o644); err != nil {
		return fmt.Errorf("writing the app's lock: %w", err)
	}
	return nil
}

// copyOut copies the file or directory at the file:// URI uri, which must
// lie in rootfs, to dst through root, and returns dst's file:// URI.
func copyOut(root *os.Root, rootfs, uri, dst string) (string, error) {
	p, err := appdir.FilePathFromURI(uri)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(rootfs, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the image's root filesystem", p)
	}
	fsys := root.FS()
	err = fs.WalkDir(fsys, filepath.ToSlash(rel), func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dst, strings.TrimPrefix(name, filepath.ToSlash(rel)))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		return copyFileFS(fsys, name, target)
	})
	if err != nil {
		return "", fmt.Errorf("copying /%s from the image: %w", filepath.ToSlash(rel), err)
	}
	return appdir.FileURI(dst), nil
}

// copyFileFS copies fsys's file name (following symlinks inside fsys) to
// target.
func copyFileFS(fsys fs.FS, name, target string) error {
	in, err := fsys.Open(name)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("/%s is not a regular file", name)
	}
	return appdir.CopyFile(target, in)
}
