// Package appproto is the protocol between the shim and the child processes
// it starts from the app binary (AppBinaryName): a container's app process
// (AppModeArg) and a pod's pause process (PauseModeArg).
//
// The parent encodes the child's command line (AppArgs, PauseArgs) and the
// child parses it back. The child then reads commands from ControlFD and
// writes status lines (Status, one JSON object a line) to StatusFD: it
// reports StateReady once loaded, waits for CommandStart, and reports
// StateListening (an app) or StateHolding (a pause process), or an error at
// any step. Create waits for "ready", so that load errors reach the client
// from Create; Start waits for the next line, so that a bind error fails
// Start.
//
// Both sides import this package and nothing else of each other, so the
// shim does not link the app process's engine.
package appproto
