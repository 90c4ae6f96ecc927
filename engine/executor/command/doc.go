// Package command runs a WASI command core module once (the command
// trigger): its _start with the component's environment, stdout and stderr
// the app's, and reports its exit status.
package command
