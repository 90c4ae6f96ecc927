package coremodule

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/test/testio"
	"github.com/spinoci/spinoci/test/testwasm"
)

// TestGuestOutputThroughFilesPerStore: a WASI module's stdout and stderr
// reach the Host's Outputs, through files its Store opens on the Outputs'
// pipes (Wasmtime writes to those in the guest's thread) and closes with
// it.
func TestGuestOutputThroughFilesPerStore(t *testing.T) {
	h, c, outs, stdout, stderr := newOutputHost(t)
	before := pipeDescriptors(t, outs)
	for range 3 {
		s, inst := newInstance(t, h, c)
		if open := pipeDescriptors(t, outs); open != before+2 {
			t.Errorf("with a Store open, %d descriptors of the output pipes, want %d (stdout and stderr files)", open, before+2)
		}
		if _, err := h.LookupFunc(s, inst, "run").Call(s); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	if open := pipeDescriptors(t, outs); open != before {
		t.Errorf("after the Stores closed, %d descriptors of the output pipes, want %d", open, before)
	}
	wantOutput(t, outs, stdout, stderr, 3)
}

// TestGuestOutputWithoutFreeDescriptors: where no file can be opened (the
// open-file limit reached), a Store's guest output still reaches the
// Outputs, through the C API's callback.
func TestGuestOutputWithoutFreeDescriptors(t *testing.T) {
	h, c, outs, stdout, stderr := newOutputHost(t)
	// A first instance, with descriptors to spare: the module's memory
	// image is made as it is first instantiated.
	s, inst := newInstance(t, h, c)
	if _, err := h.LookupFunc(s, inst, "run").Call(s); err != nil {
		t.Fatal(err)
	}
	s.Close()
	var limit syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil {
		t.Fatal(err)
	}
	// The lowest free descriptor is the next one opened: with the limit
	// there, no open succeeds.
	probe, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	lowest := probe.Fd()
	probe.Close()
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: uint64(lowest), Max: limit.Max}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &limit) }) // if the test stops early
	s, inst = newInstance(t, h, c)
	_, runErr := h.LookupFunc(s, inst, "run").Call(s)
	s.Close()
	if _, err := os.Open(os.DevNull); err == nil {
		t.Error("a file opened under the lowered limit: the test does not test the fallback")
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil {
		t.Fatal(err)
	}
	if runErr != nil {
		t.Fatal(runErr)
	}
	wantOutput(t, outs, stdout, stderr, 2)
}

// newOutputHost is a Host whose guest output goes to Outputs of the two
// buffers returned, and a component whose "run" writes "out!" to stdout
// and "err!" to stderr.
func newOutputHost(t *testing.T) (*Host, *Component, [2]*Output, *testio.Buffer, *testio.Buffer) {
	t.Helper()
	var stdout, stderr testio.Buffer
	outs := [2]*Output{}
	for i, dst := range []*testio.Buffer{&stdout, &stderr} {
		o, err := NewOutput(dst)
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = o // closed by wantOutput
	}
	engine, _ := capi.NewModuleEngine()
	t.Cleanup(engine.Close)
	h, err := NewHost(Config{Engine: engine, InstanceLimit: 4, Stdout: outs[0], Stderr: outs[1]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	c := &Component{ID: "c", Module: testwasm.Module(t, engine, testwasm.StdioWriterWAT)}
	return h, c, outs, &stdout, &stderr
}

// wantOutput closes outs and checks that runs runs of "run" reached them.
func wantOutput(t *testing.T, outs [2]*Output, stdout, stderr *testio.Buffer, runs int) {
	t.Helper()
	outs[0].Close()
	outs[1].Close()
	if got, want := stdout.String(), strings.Repeat("out!", runs); got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	if got, want := stderr.String(), strings.Repeat("err!", runs); got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}

// pipeDescriptors counts the process's descriptors open on the pipes of
// outs.
func pipeDescriptors(t *testing.T, outs [2]*Output) int {
	t.Helper()
	pipes := map[string]bool{}
	for _, o := range outs {
		link, err := os.Readlink(fdPath(o.fd()))
		if err != nil {
			t.Fatal(err)
		}
		pipes[link] = true
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if link, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && pipes[link] {
			n++
		}
	}
	return n
}
