package engine

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
)

// guestStream carries one guest output stream (stdout or stderr) to an
// io.Writer. The App keeps an OS pipe and a goroutine copies its read end
// to the writer. Stores write to wfd, a blocking descriptor of the write
// end opened once (by path, /proc/self/fd/N: Linux) because os.Pipe's own
// is non-blocking; WAGI's stdout, a file, is opened by path per Store.
type guestStream struct {
	r, w *os.File
	wfd  int
	done chan struct{}
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
	wfd, err := syscall.Open("/proc/self/fd/"+strconv.Itoa(int(w.Fd())), syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("guest output pipe: %w", err)
	}
	s := &guestStream{r: r, w: w, wfd: wfd, done: make(chan struct{})}
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
func (s *guestStream) fd() int {
	return s.wfd
}

// close closes the App's write ends and waits until everything written so
// far (by Stores that are closed) has been copied.
func (s *guestStream) close() {
	if s == nil {
		return
	}
	syscall.Close(s.wfd)
	s.w.Close()
	<-s.done
	s.r.Close()
}
