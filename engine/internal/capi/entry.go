package capi

import (
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// An entry's checksum file holds its code's size and CRC-32C. The checksum
// guards against code that this package did not write whole (a write cut
// short by a crash: code files are not fsynced, since a torn one fails the
// check and is recompiled) or that changed since (corruption, another
// file put in its place). Both files are writable by root only, so it is
// not a signature; CRC-32C is what catches those cases at memory speed
// (hardware-accelerated: a few ms for a 50 MB component, where SHA-256
// took ~30 ms of every start), and only when the code file may not be the
// one written (see writeStamp).

// sumLine is the content of a checksum file for code.
func sumLine(code []byte) string {
	return fmt.Sprintf("crc32c=%08x size=%d\n", crc32.Checksum(code, crc32.MakeTable(crc32.Castagnoli)), len(code))
}

// loadEntry deserializes code after checking it against sum. Bytes that do
// not match are never handed to wasmtime. It returns the code file, holding
// a shared lock on it, and records the use. boot: see writeStamp.
func loadEntry[T any](code, sum, boot string, deserializeFile func(string) (T, error)) (_ T, lock *os.File, err error) {
	var zero T
	want, err := os.ReadFile(sum)
	if err != nil {
		return zero, nil, err
	}
	f, err := openEntryShared(code)
	if err != nil {
		return zero, nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	check, stamp, _ := strings.Cut(strings.TrimSpace(string(want)), " written=")
	if stamp == "" || stamp != writeStamp(f, boot) {
		got, err := fileSumLine(f)
		if err != nil {
			return zero, nil, fmt.Errorf("read cache entry: %w", err)
		}
		if strings.TrimSpace(got) != check {
			return zero, nil, fmt.Errorf("cache entry checksum mismatch (got %q, want %q)", strings.TrimSpace(got), check)
		}
	}
	v, err := deserializeFile(code)
	if err != nil {
		return zero, nil, fmt.Errorf("deserialize cache entry: %w", err)
	}
	touchEntry(sum)
	return v, f, nil
}

// fileSumLine is sumLine of f's content, read through a private read-only
// mapping (the page cache's pages, which Wasmtime's own mapping of the
// file then shares, instead of copies).
func fileSumLine(f *os.File) (string, error) {
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	size := st.Size()
	if size == 0 || size != int64(int(size)) {
		return sumLine(nil), nil
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		return "", fmt.Errorf("map %s: %w", f.Name(), err)
	}
	defer syscall.Munmap(data)
	return sumLine(data), nil
}

// entryPresent reports whether both files of an entry exist.
func entryPresent(code, sum string) bool {
	_, err1 := os.Stat(code)
	_, err2 := os.Stat(sum)
	return err1 == nil && err2 == nil
}

// entryMode is the mode of cache entries' files: readable by all.
const entryMode = 0o644

// storeEntry writes data to code and then its checksum to sum, each
// atomically, creating dir if needed. boot: see writeStamp.
func storeEntry(dir, code, sum, boot string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create cache dir: %w", err)
	}
	if err := writeFileAtomic(code, data); err != nil {
		return err
	}
	line := sumLine(data)
	if f, err := os.Open(code); err == nil {
		if stamp := writeStamp(f, boot); stamp != "" {
			line = strings.TrimSuffix(line, "\n") + " written=" + stamp + "\n"
		}
		f.Close()
	}
	return writeFileAtomic(sum, []byte(line))
}

// writeStamp identifies code file f as written: the boot (boot, its id,
// read once per Cache), its inode, size and modification time; "" when
// the boot is unknown (a process that cannot read bootIDPath). A checksum
// file records its code's stamp: while the file still has it, it is the
// file this package wrote whole in this boot (a write cut short needs a
// crash, so a reboot; another file put in its place has another inode),
// and its CRC need not be computed again at every start — some ms for a
// large component.
func writeStamp(f *os.File, boot string) string {
	if boot == "" {
		return ""
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return ""
	}
	return fmt.Sprintf("%s/%d/%d/%d.%09d", boot, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec)
}

// writeFileAtomic writes data to a temporary file next to path and renames
// it over path, readable by every user: app processes running as other
// users than the compile stage that wrote it load it (only the writer may
// change it). It does not sync: see the checksum above.
func writeFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Chmod(entryMode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("rename %s: %w", path, err)
	}
	return nil
}
