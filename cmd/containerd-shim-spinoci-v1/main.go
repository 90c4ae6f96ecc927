// Command containerd-shim-spinoci-v1 is the containerd runtime shim for the
// io.containerd.spinoci.v1 runtime type: it runs Spin applications
// distributed as OCI artifacts.
//
// One binary plays every part, chosen by its first argument: a container's
// app process (package appprocess, which links the wasmtime engine), a pod's
// pause process, the start action, or the shim server (package shim, which
// does not link the engine). Apps and pause processes run in
// containerd-shim-spinoci-v1-app (./app) instead when it is installed next
// to the shim.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/containerd/containerd/v2/pkg/shim"

	"github.com/spinoci/spinoci/cmd/containerd-shim-spinoci-v1/internal/child"
	"github.com/spinoci/spinoci/cmd/internal/buildinfo"
	"github.com/spinoci/spinoci/engine"
	spinoci "github.com/spinoci/spinoci/shim"
)

func main() {
	if status, ok := child.Main(os.Args); ok {
		os.Exit(status)
	}
	switch {
	case wantsVersion(os.Args[1:]):
		// Before pkg/shim parses the flags: its -v prints containerd's
		// library version, not ours.
		fmt.Print(buildinfo.Text("containerd-shim-spinoci-v1", engine.WasmtimeVersion, "task API: v2, v3"))
	case spinoci.IsStartAction(os.Args):
		if err := spinoci.RunStartAction(context.Background(), os.Args, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", spinoci.RuntimeName, err)
			os.Exit(1)
		}
	default:
		spinoci.RegisterPlugin()
		shim.RunShim(context.Background(), spinoci.NewManager())
	}
}

// wantsVersion tells whether the command line asks for the version.
func wantsVersion(args []string) bool {
	for _, a := range args {
		switch a {
		case "-v", "-version", "--version":
			return true
		}
	}
	return false
}
