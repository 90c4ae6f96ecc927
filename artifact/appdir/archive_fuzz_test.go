package appdir

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/opencontainers/go-digest"
)

// fuzzTar builds a tar of hdrs, each with body when it is a regular file.
func fuzzTar(f *testing.F, entries ...tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		body := []byte("content of " + h.Name)
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(body))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			f.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(body); err != nil {
				f.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzArchiveUnpack: whatever an archive layer holds, unpacking never
// panics, writes only generated names inside the scratch directory (no
// entry name, link or absolute path leads anywhere else), indexes each
// file under the digest of its bytes, and stays within the size limit.
func FuzzArchiveUnpack(f *testing.F) {
	reg := func(name string) tar.Header { return tar.Header{Name: name, Typeflag: tar.TypeReg} }
	f.Add(fuzzTar(f, reg("index.html"), reg("static/app.js")), true)
	f.Add(fuzzTar(f, reg("../../outside"), reg("/etc/abs"), reg("a/../../b")), true)
	f.Add(fuzzTar(f,
		tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "../../outside"},
		reg("link"),
		tar.Header{Name: "hard", Typeflag: tar.TypeLink, Linkname: "/etc/passwd"},
		tar.Header{Name: "dir/", Typeflag: tar.TypeDir, Mode: 0o755},
		reg("dir/file")), true)
	f.Add(fuzzTar(f, reg("same"), reg("same")), true)
	f.Add([]byte("not a gzip stream"), false)
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		blob := data
		if compress {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(data)
			_ = zw.Close()
			blob = buf.Bytes()
		}
		top := t.TempDir()
		outside := filepath.Join(top, "outside")
		if err := os.WriteFile(outside, []byte("keep"), 0o600); err != nil {
			t.Fatal(err)
		}
		appDir := filepath.Join(top, "app")
		if err := os.Mkdir(appDir, 0o700); err != nil {
			t.Fatal(err)
		}
		root, err := os.OpenRoot(appDir)
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		const limit = 1 << 16
		a := digest.FromBytes(blob)
		x := &archiveIndex{
			blobs: MapBlobs{a: blob}, archives: []digest.Digest{a},
			root: root, dir: scratchDirName, limit: limit, files: map[digest.Digest]string{},
		}
		_, err = x.lookup(context.Background(), digest.FromString("no such file"))
		if err == nil {
			t.Fatal("found a file no archive holds")
		}
		if x.written > limit || x.streamed > limit {
			t.Fatalf("wrote %d, streamed %d over the limit %d", x.written, x.streamed, limit)
		}
		if got, err := os.ReadFile(outside); err != nil || string(got) != "keep" {
			t.Fatalf("a file outside the app dir changed: %q, %v", got, err)
		}
		generated := regexp.MustCompile(`^` + regexp.QuoteMeta(scratchDirName) + `(/[0-9]+)?$`)
		_ = filepath.WalkDir(appDir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == appDir {
				return err
			}
			rel, _ := filepath.Rel(appDir, p)
			if !generated.MatchString(rel) {
				t.Errorf("unpacking created %q", rel)
			}
			if rel != scratchDirName && !d.Type().IsRegular() {
				t.Errorf("unpacking created a non-regular file %q (%v)", rel, d.Type())
			}
			return nil
		})
		for d, p := range x.files {
			b, err := root.ReadFile(p)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			if sum := sha256.Sum256(b); digest.NewDigestFromBytes(digest.SHA256, sum[:]) != d {
				t.Errorf("%s indexed under %s", p, d)
			}
		}
	})
}
