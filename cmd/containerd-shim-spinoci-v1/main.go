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
)

func main() {
	switch {
	case len(os.Args) > 1 && os.Args[1] == spinoci.AppModeArg:
		os.Exit(spinoci.RunApp(os.Args[2:]))
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
