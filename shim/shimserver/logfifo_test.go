package shimserver

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// logFIFO makes a bundle with a log FIFO that is read, as containerd does,
// and returns the bundle and the lines read from it.
func logFIFO(t *testing.T) (string, <-chan string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, logFIFOName)
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	// O_RDWR, as containerd opens it: the open does not wait for a writer.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	lines := make(chan string, 16)
	go func() {
		s := bufio.NewScanner(f)
		for s.Scan() {
			lines <- s.Text()
		}
	}()
	return dir, lines
}

func wantLine(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	select {
	case got := <-lines:
		if got != want {
			t.Errorf("read %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("%q did not arrive", want)
	}
}

func noLine(t *testing.T, lines <-chan string, which string) {
	t.Helper()
	select {
	case got := <-lines:
		t.Errorf("%s FIFO read %q, want nothing", which, got)
	case <-time.After(50 * time.Millisecond):
	}
}

// TestLogMoveTo: what is written to the log's descriptor goes to the log
// FIFO of its bundle, and to the next bundle's once moved; a move to a
// bundle without one leaves it where it was.
func TestLogMoveTo(t *testing.T) {
	first, firstLines := logFIFO(t)
	second, secondLines := logFIFO(t)
	// A descriptor of the test's own, standing in for the server's stderr.
	fd, err := unix.Dup(int(os.Stdin.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	out := os.NewFile(uintptr(fd), "log")
	defer out.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	logs, err := openLog(ctx, first, fd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := out.WriteString("one\n"); err != nil {
		t.Fatal(err)
	}
	wantLine(t, firstLines, "one")

	if err := logs.MoveTo(ctx, second); err != nil {
		t.Fatal(err)
	}
	if _, err := out.WriteString("two\n"); err != nil {
		t.Fatal(err)
	}
	wantLine(t, secondLines, "two")
	noLine(t, firstLines, "the first bundle's")
	if logs.Bundle() != second {
		t.Errorf("Bundle() = %s after the move, want %s", logs.Bundle(), second)
	}

	if err := logs.MoveTo(ctx, t.TempDir()); err == nil {
		t.Error("a move to a bundle without a log FIFO succeeded")
	}
	if _, err := out.WriteString("three\n"); err != nil {
		t.Fatal(err)
	}
	wantLine(t, secondLines, "three")
	if logs.Bundle() != second {
		t.Errorf("Bundle() = %s after a failed move, want %s", logs.Bundle(), second)
	}
}
