package shim

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/containerd/errdefs"

	"github.com/spinoci/spinoci/shim/appproto"
	// The test binary stands in for the app binary (installTestAppBinary):
	// it needs the C constructor that confines children and runs a pod's
	// pause process, which the shim server itself does not link.
	_ "github.com/spinoci/spinoci/shim/nsenter"
)

// TestSameBuild: the shim runs an app binary only if it is an executable
// from the same build as itself.
func TestSameBuild(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	same := filepath.Join(dir, "same")
	if err := os.WriteFile(same, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := sameBuild(same); err != nil {
		t.Errorf("a copy of this binary: %v", err)
	}
	if err := sameBuild(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing binary: %v, want ErrNotExist", err)
	}
	notExec := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(notExec, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := sameBuild(notExec); err == nil {
		t.Error("a file without execute permission was accepted")
	}
	script := filepath.Join(dir, "script")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := sameBuild(script); err == nil {
		t.Error("a file that is not a Go binary was accepted")
	}
}

// The shim's -v names the wasmtime of the app binary; a missing app binary
// is a failed precondition naming what to install.
func TestAppBinaryVersionAndAbsence(t *testing.T) {
	bi := &debug.BuildInfo{Deps: []*debug.Module{
		{Path: "github.com/containerd/ttrpc", Version: "v1.2.7"},
		{Path: "github.com/bytecodealliance/wasmtime-go/v39", Version: "v39.0.1"},
	}}
	if got := engineVersionOf(bi); got != "39.0.1" {
		t.Errorf("engineVersionOf = %q, want 39.0.1", got)
	}
	if got := engineVersionOf(&debug.BuildInfo{}); !strings.HasPrefix(got, "unknown") {
		t.Errorf("engineVersionOf without wasmtime-go = %q", got)
	}
	// The app binary next to the test binary is a copy of it (TestMain),
	// which links no wasmtime-go.
	if got := EngineVersion(); !strings.Contains(got, appproto.AppBinaryName) {
		t.Errorf("EngineVersion of an app binary without wasmtime = %q, want it named", got)
	}
	err := checkAppBinary(filepath.Join(t.TempDir(), appproto.AppBinaryName))
	if !errors.Is(err, errdefs.ErrFailedPrecondition) || !errors.Is(err, fs.ErrNotExist) ||
		!strings.Contains(err.Error(), "install "+appproto.AppBinaryName+" next to the shim") {
		t.Errorf("childExecutable without the app binary: %v", err)
	}
}

// installTestAppBinary puts a copy of the test binary next to it as the app
// binary, for the tests that launch real children (the test binary plays
// the child: see TestMain). It returns what removes it.
func installTestAppBinary() (func(), error) {
	app, err := appBinary()
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// A binary left by a killed run would make the link fail.
	if err := os.Remove(app); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	if err := os.Link(self, app); err != nil {
		return nil, err
	}
	return func() { os.Remove(app) }, nil
}
