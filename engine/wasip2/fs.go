package wasip2

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// descriptor is an open file or directory inside a read-only mount. Paths
// are resolved through os.Root, so nothing outside the mount is reachable.
type descriptor struct {
	root *os.Root
	rel  string // path inside root ("." for the mount itself)
	dir  bool
}

func (d *descriptor) close() {}

type dirEntryStream struct {
	entries []fs.DirEntry
}

// fsErrorCode maps an OS error to wasi:filesystem/types.error-code.
func fsErrorCode(err error) capi.Val {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return capi.Enum("no-entry")
	case errors.Is(err, fs.ErrPermission):
		return capi.Enum("access")
	case errors.Is(err, syscall.ENOTDIR):
		return capi.Enum("not-directory")
	case errors.Is(err, syscall.EISDIR):
		return capi.Enum("is-directory")
	case errors.Is(err, syscall.ELOOP):
		return capi.Enum("loop")
	}
	return capi.Enum("io")
}

func fsErr(err error) (results, error) { return one(capi.Err(fsErrorCode(err))) }

func readOnly(*State) (results, error) { return one(capi.Err(capi.Enum("read-only"))) }

func descriptorType(m fs.FileMode) capi.Enum {
	switch {
	case m.IsDir():
		return "directory"
	case m.IsRegular():
		return "regular-file"
	case m&fs.ModeSymlink != 0:
		return "symbolic-link"
	}
	return "unknown"
}

func statVal(fi fs.FileInfo) capi.Val {
	mtime := capi.Some(datetime(fi.ModTime()))
	return capi.Record{
		{Name: "type", Val: descriptorType(fi.Mode())},
		{Name: "link-count", Val: capi.U64(1)},
		{Name: "size", Val: capi.U64(fi.Size())},
		{Name: "data-access-timestamp", Val: mtime},
		{Name: "data-modification-timestamp", Val: mtime},
		{Name: "status-change-timestamp", Val: mtime},
	}
}

func (d *descriptor) join(p string) string { return path.Join(d.rel, p) }

func fsPreopens() *iface {
	i := newIface("wasi:filesystem/preopens" + wasiVersion)
	i.funcs["get-directories"] = fn0(func(st *State) (results, error) {
		out := capi.List{}
		for _, m := range st.host.cfg.Mounts {
			root, err := os.OpenRoot(m.HostPath)
			if err != nil {
				continue
			}
			st.roots = append(st.roots, root)
			out = append(out, capi.Tuple{st.own(tyDescriptor, &descriptor{root: root, rel: ".", dir: true}), capi.String(m.GuestPath)})
		}
		return one(out)
	})
	return i
}

func fsTypes() *iface {
	i := newIface("wasi:filesystem/types" + wasiVersion)
	i.types["descriptor"] = tyDescriptor
	i.types["directory-entry-stream"] = tyDirEntryStream
	self := borrowed[*descriptor]
	for _, name := range []string{"write-via-stream", "append-via-stream", "set-size", "set-times", "write",
		"create-directory-at", "set-times-at", "link-at", "remove-directory-at", "rename-at", "symlink-at", "unlink-file-at"} {
		i.funcs["[method]descriptor."+name] = ignoreArgs(readOnly)
	}
	ok := ignoreArgs(func(*State) (results, error) { return one(capi.Ok(nil)) })
	i.funcs["[method]descriptor.advise"] = ok
	i.funcs["[method]descriptor.sync"] = ok
	i.funcs["[method]descriptor.sync-data"] = ok
	i.funcs["[method]descriptor.get-flags"] = fn1(self, func(*State, *descriptor) (results, error) {
		return one(capi.Ok(capi.Flags{"read"}))
	})
	i.funcs["[method]descriptor.get-type"] = fn1(self, func(_ *State, d *descriptor) (results, error) {
		fi, err := d.root.Stat(d.rel)
		if err != nil {
			return fsErr(err)
		}
		return one(capi.Ok(descriptorType(fi.Mode())))
	})
	i.funcs["[method]descriptor.stat"] = fn1(self, func(_ *State, d *descriptor) (results, error) {
		fi, err := d.root.Stat(d.rel)
		if err != nil {
			return fsErr(err)
		}
		return one(capi.Ok(statVal(fi)))
	})
	i.funcs["[method]descriptor.stat-at"] = fn3(self, argFlags, argString, func(_ *State, d *descriptor, _ capi.Flags, p string) (results, error) {
		fi, err := d.root.Stat(d.join(p))
		if err != nil {
			return fsErr(err)
		}
		return one(capi.Ok(statVal(fi)))
	})
	i.funcs["[method]descriptor.open-at"] = fn5(self, argFlags, argString, argFlags, argFlags, func(st *State, d *descriptor, _ capi.Flags, p string, oflags, dflags capi.Flags) (results, error) {
		for _, f := range append(append(capi.Flags{}, oflags...), dflags...) {
			switch f {
			case "create", "exclusive", "truncate", "write", "mutate-directory":
				return readOnly(st)
			}
		}
		rel := d.join(p)
		fi, err := d.root.Stat(rel)
		if err != nil {
			return fsErr(err)
		}
		for _, f := range oflags {
			if f == "directory" && !fi.IsDir() {
				return one(capi.Err(capi.Enum("not-directory")))
			}
		}
		return one(capi.Ok(st.own(tyDescriptor, &descriptor{root: d.root, rel: rel, dir: fi.IsDir()})))
	})
	i.funcs["[method]descriptor.read-via-stream"] = fn2(self, argU64, func(st *State, d *descriptor, off uint64) (results, error) {
		f, err := d.root.Open(d.rel)
		if err != nil {
			return fsErr(err)
		}
		if _, err := f.Seek(int64(off), io.SeekStart); err != nil {
			f.Close()
			return fsErr(err)
		}
		return one(capi.Ok(st.own(tyInputStream, &inputStream{r: f})))
	})
	i.funcs["[method]descriptor.read"] = fn3(self, argU64, argU64, func(_ *State, d *descriptor, n, off uint64) (results, error) {
		f, err := d.root.Open(d.rel)
		if err != nil {
			return fsErr(err)
		}
		defer f.Close()
		buf := make([]byte, min(n, maxRead))
		got, err := f.ReadAt(buf, int64(off))
		if err != nil && !errors.Is(err, io.EOF) {
			return fsErr(err)
		}
		return one(capi.Ok(capi.Tuple{capi.Bytes(buf[:got]), capi.Bool(got == 0 || errors.Is(err, io.EOF))}))
	})
	i.funcs["[method]descriptor.read-directory"] = fn1(self, func(st *State, d *descriptor) (results, error) {
		f, err := d.root.Open(d.rel)
		if err != nil {
			return fsErr(err)
		}
		defer f.Close()
		entries, err := f.ReadDir(-1)
		if err != nil {
			return fsErr(err)
		}
		return one(capi.Ok(st.own(tyDirEntryStream, &dirEntryStream{entries: entries})))
	})
	i.funcs["[method]directory-entry-stream.read-directory-entry"] = fn1(borrowed[*dirEntryStream], func(_ *State, s *dirEntryStream) (results, error) {
		if len(s.entries) == 0 {
			return one(capi.Ok(capi.None))
		}
		e := s.entries[0]
		s.entries = s.entries[1:]
		return one(capi.Ok(capi.Some(capi.Record{
			{Name: "type", Val: descriptorType(e.Type())},
			{Name: "name", Val: capi.String(e.Name())},
		})))
	})
	i.funcs["[method]descriptor.is-same-object"] = fn2(self, self, func(_ *State, d, o *descriptor) (results, error) {
		return one(capi.Bool(o.root == d.root && o.rel == d.rel))
	})
	hash := func(d *descriptor, rel string) (results, error) {
		fi, err := d.root.Stat(rel)
		if err != nil {
			return fsErr(err)
		}
		var lower, upper uint64
		if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
			lower, upper = sys.Ino, sys.Dev
		}
		return one(capi.Ok(capi.Record{{Name: "lower", Val: capi.U64(lower)}, {Name: "upper", Val: capi.U64(upper)}}))
	}
	i.funcs["[method]descriptor.metadata-hash"] = fn1(self, func(_ *State, d *descriptor) (results, error) {
		return hash(d, d.rel)
	})
	i.funcs["[method]descriptor.metadata-hash-at"] = fn3(self, argFlags, argString, func(_ *State, d *descriptor, _ capi.Flags, p string) (results, error) {
		return hash(d, d.join(p))
	})
	i.funcs["[method]descriptor.readlink-at"] = ignoreArgs(func(*State) (results, error) {
		return one(capi.Err(capi.Enum("invalid")))
	})
	i.funcs["filesystem-error-code"] = ignoreArgs(func(*State) (results, error) {
		return one(capi.None)
	})
	return i
}
