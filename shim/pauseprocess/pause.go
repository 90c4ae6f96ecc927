package pauseprocess

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spinoci/spinoci/shim/appproto"
)

// Run is a pod's sandbox process: it holds the pod's namespaces (it
// was created in them, or joined them through package nsenter, before this
// runs), so that CRI can point the pod's app containers at
// /proc/<its pid>/ns/*. It speaks the app process's control protocol (ready,
// start, holding) and then sleeps until SIGTERM or SIGINT (exit 0) or
// SIGKILL. No pause image is needed. args follow appproto.PauseModeArg.
func Run(args []string) int {
	opts, err := appproto.ParsePauseArgs(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "spinoci pause: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	status := os.NewFile(appproto.StatusFD, "status")
	report := func(st appproto.Status) { _ = appproto.WriteStatus(status, st) }
	if err := appproto.SetHostname(opts.Hostname); err != nil {
		report(appproto.Status{Error: err.Error()})
		return 1
	}
	report(appproto.Status{State: appproto.StateReady})
	if !appproto.AwaitStart(ctx, os.NewFile(appproto.ControlFD, "control")) {
		return 0
	}
	report(appproto.Status{State: appproto.StateHolding})
	status.Close()
	<-ctx.Done()
	return 0
}
