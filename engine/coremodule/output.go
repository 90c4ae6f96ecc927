package coremodule

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
)

// Output carries one guest output stream (stdout or stderr) of an App to
// an io.Writer. The App keeps an OS pipe and a goroutine copies its read end
// to the writer. Stores write to wfd, a blocking descriptor of the write
// end opened once (by path, /proc/self/fd/N: Linux) because os.Pipe's own
// is non-blocking; WAGI's stdout, a file, is opened by path per Store.
type Output struct {
	r, w *os.File
	wfd  int
	done chan struct{}
}

// NewOutput returns nil (output discarded) when dst is nil. Close it after
// the last Store that writes to it.
func NewOutput(dst io.Writer) (*Output, error) {
	if dst == nil {
		return nil, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("guest output pipe: %w", err)
	}
	wfd, err := syscall.Open("/proc/self/fd/"+strconv.Itoa(int(w.Fd())), syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("guest output pipe: %w", err)
	}
	s := &Output{r: r, w: w, wfd: wfd, done: make(chan struct{})}
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

// fd is the blocking descriptor Stores write to.
func (s *Output) fd() int {
	return s.wfd
}

// Writer is where component guests write: the pipe (shared with core
// modules, so output stays ordered), or nowhere.
func (s *Output) Writer() io.Writer {
	if s == nil || s.w == nil {
		return io.Discard
	}
	return s.w
}

// Close closes the App's write ends and waits until everything written so
// far (by Stores that are closed) has been copied.
func (s *Output) Close() {
	if s == nil {
		return
	}
	syscall.Close(s.wfd)
	s.w.Close()
	<-s.done
	s.r.Close()
}
