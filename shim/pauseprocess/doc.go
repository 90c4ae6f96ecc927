// Package pauseprocess is the main of a pod's sandbox ("pause") process,
// which both the shim binary and the slim app binary can run: it imports
// only the parent/child protocol (package appproto), so that the binary
// running it need not carry the shim server.
package pauseprocess
