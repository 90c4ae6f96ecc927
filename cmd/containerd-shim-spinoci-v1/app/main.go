// Command containerd-shim-spinoci-v1-app is the app process (and a pod's
// pause process) of containerd-shim-spinoci-v1, installed next to it: what
// the shim starts for each container's app (and its compile stage) and each
// pod's sandbox. It links the engine but neither containerd's client
// packages nor the shim server, which in turn does not link the engine: each
// process starts faster (fewer pages to fault in, less package
// initialisation) and holds less memory. The shim refuses to start tasks
// without it.
package main

import (
	"fmt"
	"os"

	"github.com/spinoci/spinoci/cmd/containerd-shim-spinoci-v1/internal/child"
	"github.com/spinoci/spinoci/cmd/internal/buildinfo"
	"github.com/spinoci/spinoci/engine"
	"github.com/spinoci/spinoci/shim/appproto"
)

func main() {
	if status, ok := child.Main(os.Args); ok {
		os.Exit(status)
	}
	if len(os.Args) > 1 && (os.Args[1] == "-v" || os.Args[1] == "--version") {
		fmt.Print(buildinfo.Text(appproto.AppBinaryName, engine.WasmtimeVersion, "started by containerd-shim-spinoci-v1"))
		return
	}
	fmt.Fprintf(os.Stderr, "%s runs a Spin app (or a pod's pause process) for containerd-shim-spinoci-v1, which starts it\n",
		appproto.AppBinaryName)
	os.Exit(2)
}
