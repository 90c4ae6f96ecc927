package shimserver

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/containerd/fifo"
	"golang.org/x/sys/unix"
)

// logFIFOName is the FIFO containerd makes in every task's bundle: it
// copies what the shim writes there into its own log, until it deletes the
// task.
const logFIFOName = "log"

// Log is where a server's own log goes: the log FIFO of one of its tasks'
// bundles, duplicated onto its stderr so that a panic's trace goes there
// too. It starts in the bundle of the task whose start started the server.
// A server shared by several tasks (a pod's, a group's) outlives that task,
// and containerd stops reading a FIFO once its task is deleted: the task
// service then moves the log to a task still there (MoveTo).
type Log struct {
	fd     int
	mu     sync.Mutex
	bundle string
}

// openLog sends what is written to fd to bundle's log FIFO.
func openLog(ctx context.Context, bundle string, fd int) (*Log, error) {
	l := &Log{fd: fd}
	if err := l.MoveTo(ctx, bundle); err != nil {
		return nil, err
	}
	return l, nil
}

// Bundle is the bundle whose log FIFO the log goes to.
func (l *Log) Bundle() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bundle
}

// MoveTo sends the log to bundle's log FIFO from now on. On error it
// stays where it was.
func (l *Log) MoveTo(ctx context.Context, bundle string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := fifo.OpenFifoDup2(ctx, filepath.Join(bundle, logFIFOName), unix.O_WRONLY, 0o700, l.fd)
	if err != nil {
		return fmt.Errorf("opening the shim's log FIFO in %s: %w", bundle, err)
	}
	// The FIFO is open on l.fd now; f's own descriptor is not needed.
	_ = f.Close()
	l.bundle = bundle
	return nil
}
