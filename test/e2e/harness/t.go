package harness

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// T is the part of testing.TB the harness uses. *testing.T satisfies it; a
// Program provides it to the demo and the benchmark.
type T interface {
	Helper()
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Failed() bool
	Cleanup(func())
	Context() context.Context
}

// Program is a T for a main package: Logf prints to its output, Fatalf stops
// the body, and cleanups run in reverse order when the body ends, fails, or the
// program is interrupted (SIGINT or SIGTERM).
type Program struct {
	name string
	out  io.Writer
	ctx  context.Context

	mu       sync.Mutex
	cleanups []func()
	failed   bool
}

// RunProgram runs body as a Program named name, printing to stdout, and
// returns the process exit code: 0, 1 when the body failed, or 130 when it was
// interrupted.
func RunProgram(name string, body func(t T)) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p := &Program{name: name, out: os.Stdout, ctx: ctx}

	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				p.Errorf("panic: %v", r)
			}
		}()
		body(p)
	}()

	interrupted := false
	select {
	case <-done:
	case <-ctx.Done():
		interrupted = true
		p.Logf("interrupted: cleaning up")
		// Commands and waits in the body follow ctx; give it a moment to
		// notice before the cleanups pull everything down under it.
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	}
	p.runCleanups()
	switch {
	case interrupted:
		return 130
	case p.Failed():
		return 1
	}
	return 0
}

func (p *Program) runCleanups() {
	for {
		p.mu.Lock()
		n := len(p.cleanups)
		if n == 0 {
			p.mu.Unlock()
			return
		}
		f := p.cleanups[n-1]
		p.cleanups = p.cleanups[:n-1]
		p.mu.Unlock()
		func() {
			defer func() {
				if r := recover(); r != nil {
					p.Errorf("panic in cleanup: %v", r)
				}
			}()
			f()
		}()
	}
}

// Helper does nothing; it exists to satisfy T.
func (p *Program) Helper() {}

// Logf prints a line.
func (p *Program) Logf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, format+"\n", args...)
}

// Errorf prints an error and marks the program failed.
func (p *Program) Errorf(format string, args ...any) {
	p.mu.Lock()
	p.failed = true
	p.mu.Unlock()
	p.Logf("%s: error: "+format, append([]any{p.name}, args...)...)
}

// Fatalf is Errorf followed by the end of the body (runtime.Goexit); it must
// be called from the body's goroutine.
func (p *Program) Fatalf(format string, args ...any) {
	p.Errorf(format, args...)
	runtime.Goexit()
}

// Skipf reports why the program cannot run and ends the body as a failure.
func (p *Program) Skipf(format string, args ...any) {
	p.Fatalf("cannot run: "+format, args...)
}

// Failed reports whether Errorf or Fatalf was called.
func (p *Program) Failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}

// Cleanup registers f to run when the body ends, last registered first.
func (p *Program) Cleanup(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cleanups = append(p.cleanups, f)
}

// Context is cancelled when the program is interrupted.
func (p *Program) Context() context.Context { return p.ctx }
