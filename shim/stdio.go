package shim

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	"github.com/containerd/fifo"
)

// fifoOpenTimeout bounds how long Create waits for the client to open the
// read side of a stdio FIFO.
const fifoOpenTimeout = 30 * time.Second

// stdio holds a task's output streams. The files are handed to the app
// process as its fd 1 and 2, so guest output goes straight to the client
// without a copy through the shim; the shim writes its own start-up errors
// to errOut as well, so they show in the container's log.
type stdio struct {
	out, errOut *os.File
	holders     []interface{ Close() error }
}

// openStdio opens the paths containerd gave in CreateTaskRequest: FIFOs
// (ctr, CRI), file:// URIs (ctr --log-uri) or nothing (/dev/null).
func openStdio(ctx context.Context, stdoutPath, stderrPath string) (_ *stdio, retErr error) {
	s := &stdio{}
	defer func() {
		if retErr != nil {
			s.Close()
		}
	}()
	var err error
	if s.out, err = s.openOutput(ctx, stdoutPath); err != nil {
		return nil, fmt.Errorf("opening stdout %q: %w", stdoutPath, err)
	}
	if s.errOut, err = s.openOutput(ctx, stderrPath); err != nil {
		return nil, fmt.Errorf("opening stderr %q: %w", stderrPath, err)
	}
	return s, nil
}

func (s *stdio) openOutput(ctx context.Context, path string) (*os.File, error) {
	if path == "" {
		return s.keep(os.OpenFile(os.DevNull, os.O_WRONLY, 0))
	}
	if u, err := url.Parse(path); err == nil && u.Scheme != "" {
		switch u.Scheme {
		case "file":
			if err := os.MkdirAll(filepath.Dir(u.Path), 0o755); err != nil {
				return nil, err
			}
			return s.keep(os.OpenFile(u.Path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640))
		default:
			return nil, fmt.Errorf("stdio URI scheme %q is not supported (only FIFOs and file://): %w", u.Scheme, errdefs.ErrNotImplemented)
		}
	}
	if isFifo, err := fifo.IsFifo(path); err != nil || !isFifo {
		return s.keep(os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640))
	}
	// Wait, bounded, until the client has opened the read side; after that a
	// plain blocking open of the write side returns at once.
	openCtx, cancel := context.WithTimeout(ctx, fifoOpenTimeout)
	defer cancel()
	guard, err := fifo.OpenFifo(openCtx, path, syscall.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	s.holders = append(s.holders, guard)
	return s.keep(os.OpenFile(path, os.O_WRONLY, 0))
}

func (s *stdio) keep(f *os.File, err error) (*os.File, error) {
	if err != nil {
		return nil, err
	}
	s.holders = append(s.holders, f)
	return f, nil
}

// reportError writes a start-up error where the user looks: the container's
// stderr (ctr output, CRI log).
func (s *stdio) reportError(err error) {
	if s == nil || s.errOut == nil || err == nil {
		return
	}
	fmt.Fprintf(s.errOut, "spinoci: %v\n", err)
}

// Close releases every stream.
func (s *stdio) Close() {
	if s == nil {
		return
	}
	for _, h := range s.holders {
		_ = h.Close()
	}
	s.holders = nil
}
