// Command containerd-shim-spinoci-v1-server is the shim server of the
// io.containerd.spinoci.v1 runtime type (package shim), installed next to
// containerd-shim-spinoci-v1: that binary's start action runs it, and it
// runs the server's delete action and -v for it.
//
// Containers' app processes and pods' pause processes run in
// containerd-shim-spinoci-v1-app, installed next to it too: this binary
// does not link the wasmtime engine, so that it starts fast and the server
// holds little memory.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spinoci/spinoci/cmd/internal/buildinfo"
	spinoci "github.com/spinoci/spinoci/shim"
	"github.com/spinoci/spinoci/shim/rendezvous"
	"github.com/spinoci/spinoci/shim/shimserver"
)

func main() {
	if wantsVersion(os.Args[1:]) {
		fmt.Print(buildinfo.Text(rendezvous.ShimBinaryName, spinoci.EngineVersion(), "task API: v2, v3"))
		return
	}
	err := shimserver.Run(context.Background(), shimserver.Config{
		RuntimeName:    spinoci.RuntimeName,
		Info:           spinoci.RuntimeInfo(),
		NewTaskService: spinoci.NewTaskService,
		Delete:         spinoci.DeleteAction,
	}, os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %s\n", spinoci.RuntimeName, err)
		os.Exit(1)
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
