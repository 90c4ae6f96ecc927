// Command containerd-shim-spinoci-v1 is the containerd runtime shim for the
// io.containerd.spinoci.v1 runtime type: it runs Spin applications
// distributed as OCI artifacts.
//
// containerd runs it for every container it creates (the start action,
// package startaction), which starts or joins the shim server, and runs it
// again only if a server has died (the delete action). So this binary is
// the start action alone (with the read of a new server's first app), kept
// small (no cgo, no gRPC transport, no containerd client or shim library)
// because an exec costs in proportion to what the binary links; everything
// else it hands to containerd-shim-spinoci-v1-server, installed next to it,
// by executing that binary in its place. Apps run in
// containerd-shim-spinoci-v1-app, installed there too.
package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/spinoci/spinoci/shim/rendezvous"
	"github.com/spinoci/spinoci/shim/startaction"
)

func main() {
	if startaction.IsStartAction(os.Args) {
		if err := startaction.Run(os.Args, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", rendezvous.ShimBinaryName, err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) == 3 && os.Args[1] == rendezvous.CompileSeccompAction {
		if err := startaction.CompileSeccomp(os.Args[2]); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", rendezvous.ShimBinaryName, err)
			os.Exit(1)
		}
		return
	}
	// The delete action, -v and anything else: the server binary's.
	server, err := startaction.ServerBinary()
	if err == nil {
		err = syscall.Exec(server, append([]string{server}, os.Args[1:]...), os.Environ())
	}
	fmt.Fprintf(os.Stderr, "%s: running %s: %v (install it next to the shim, from the same release)\n",
		rendezvous.ShimBinaryName, rendezvous.ServerBinaryName, err)
	os.Exit(1)
}
