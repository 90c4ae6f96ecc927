// Package child runs a container's app process in the app binary. A pod's
// pause process never reaches Go: package nsenter's constructor runs it in
// C when the first argument asks for it.
package child

import (
	"time"

	"github.com/spinoci/spinoci/cmd/containerd-shim-spinoci-v1/internal/appprocess"
	"github.com/spinoci/spinoci/shim/appproto"
	"github.com/spinoci/spinoci/shim/nsenter"
)

// Package nsenter's constructor joins a pod's namespaces and confines the
// process (sandbox) before the Go runtime starts; it runs a pod's pause
// process (appproto.PauseModeArg) there too, in C. Referring to it makes a
// build without it (no cgo) fail instead of running children unconfined.
const _ = nsenter.Constructor

// Main runs the child process args (a whole command line) asks for and
// returns its exit status, or ok false when args name no child mode.
func Main(args []string) (status int, ok bool) {
	if len(args) < 2 {
		return 0, false
	}
	switch args[1] {
	case appproto.AppModeArg:
		began, confined := nsenter.ConstructorTimes()
		startup := appproto.Startup{Constructor: began, Confined: confined, Main: time.Now().UnixNano()}
		return appprocess.Run(args[2:], startup), true
	}
	return 0, false
}
