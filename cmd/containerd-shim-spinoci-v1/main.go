// Command containerd-shim-spinoci-v1 is the containerd runtime shim for the
// io.containerd.spinoci.v1 runtime type: it runs Spin applications
// distributed as OCI artifacts.
//
// It is the start action and the shim server (package shim), chosen by its
// arguments. Containers' app processes and pods' pause processes run in
// containerd-shim-spinoci-v1-app (./app), installed next to it: this binary
// does not link the wasmtime engine, so that the two processes each start
// runs of it start fast and the server holds little memory.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/containerd/containerd/v2/pkg/shim"

	"github.com/spinoci/spinoci/cmd/internal/buildinfo"
	spinoci "github.com/spinoci/spinoci/shim"
)

func main() {
	switch {
	case wantsVersion(os.Args[1:]):
		// Before pkg/shim parses the flags: its -v prints containerd's
		// library version, not ours.
		fmt.Print(buildinfo.Text("containerd-shim-spinoci-v1", spinoci.EngineVersion(), "task API: v2, v3"))
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
