package shim

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// PauseModeArg is the first argument with which the shim binary re-executes
// itself as a pod's sandbox ("pause") process.
const PauseModeArg = "pause"

// stateHolding is what the pause process reports once started: it holds the
// pod's namespaces.
const stateHolding = "holding"

// RunPause is a pod's sandbox process: it holds the pod's namespaces (it
// was created in them, or joined them through package nsenter, before this
// runs), so that CRI can point the pod's app containers at
// /proc/<its pid>/ns/*. It speaks the app process's control protocol (ready,
// start, running) and then sleeps until SIGTERM or SIGINT (exit 0) or
// SIGKILL. No pause image is needed.
func RunPause(args []string) int {
	fs := flag.NewFlagSet(PauseModeArg, flag.ContinueOnError)
	hostname := fs.String("hostname", "", "hostname to set in the pod's new UTS namespace")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(os.Stderr, "spinoci pause: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	status := os.NewFile(statusFD, "status")
	report := func(st appStatus) {
		line, _ := json.Marshal(st)
		_, _ = status.Write(append(line, '\n'))
	}
	if err := setHostname(*hostname); err != nil {
		report(appStatus{Error: err.Error()})
		return 1
	}
	report(appStatus{State: stateReady})
	if !awaitStart(ctx, os.NewFile(controlFD, "control")) {
		return 0
	}
	report(appStatus{State: stateHolding})
	status.Close()
	<-ctx.Done()
	return 0
}

// setHostname sets the hostname of a UTS namespace the process was created
// in (the shim passes a hostname only then).
func setHostname(name string) error {
	if name == "" {
		return nil
	}
	if err := unix.Sethostname([]byte(name)); err != nil {
		return fmt.Errorf("setting hostname %q: %w", name, err)
	}
	return nil
}
