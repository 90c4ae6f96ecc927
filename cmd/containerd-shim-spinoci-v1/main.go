// Command containerd-shim-spinoci-v1 is the containerd runtime shim for the
// io.containerd.spinoci.v1 runtime type: it runs Spin applications
// distributed as OCI artifacts.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/containerd/containerd/v2/pkg/shim"

	spinoci "github.com/spinoci/spinoci/shim"
	// Joins a pod's namespaces, before the Go runtime starts, in the app and
	// pause processes this binary is re-executed as.
	_ "github.com/spinoci/spinoci/shim/nsenter"
)

func main() {
	switch {
	case len(os.Args) > 1 && os.Args[1] == spinoci.AppModeArg:
		os.Exit(spinoci.RunApp(os.Args[2:]))
	case len(os.Args) > 1 && os.Args[1] == spinoci.PauseModeArg:
		os.Exit(spinoci.RunPause(os.Args[2:]))
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
