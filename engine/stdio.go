package engine

import (
	"fmt"
	"io"
	"os"
	"strconv"
)

// guestStream carries one guest output stream (stdout or stderr) to an
// io.Writer. wasmtime-go's WasiConfig only takes file paths, so the App
// keeps an OS pipe whose write end each Store opens by path
// (/proc/self/fd/N: Linux) and a goroutine copies the read end to the
// writer. Opening a pipe by path with O_TRUNC is harmless, unlike opening a
// regular log file, and the writer needs no file descriptor of its own.
type guestStream struct {
	r, w  *os.File
	wPath string
	done  chan struct{}
}

// newGuestStream returns nil (output discarded) when dst is nil.
func newGuestStream(dst io.Writer) (*guestStream, error) {
	if dst == nil {
		return nil, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("guest output pipe: %w", err)
	}
	s := &guestStream{r: r, w: w, wPath: "/proc/self/fd/" + strconv.Itoa(int(w.Fd())), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		// Keep draining even if dst fails, so that guests never block.
		_, err := io.Copy(dst, r)
		if err != nil {
			_, _ = io.Copy(io.Discard, r)
		}
	}()
	return s, nil
}

// path is the path a Store opens to write to the stream.
func (s *guestStream) path() string {
	return s.wPath
}

// close closes the App's write end and waits until everything written so
// far (by Stores that are closed) has been copied.
func (s *guestStream) close() {
	if s == nil {
		return
	}
	s.w.Close()
	<-s.done
	s.r.Close()
}
