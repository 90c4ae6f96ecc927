package capi

import "strings"

// nativeBacktrace starts the host's native stack trace that Wasmtime
// appends to an error's message when Rust backtraces are enabled
// (RUST_BACKTRACE or RUST_LIB_BACKTRACE in the environment): frames of
// anyhow, wasmtime_trap_new, cgo and the Go runtime, noise for whoever
// reads a guest's failure.
const nativeBacktrace = "\nStack backtrace:"

// trimNative returns msg without the native stack trace; the guest's
// message and its wasm backtrace stay.
func trimNative(msg string) string {
	if i := strings.Index(msg, nativeBacktrace); i >= 0 {
		return strings.TrimRight(msg[:i], "\n ")
	}
	return msg
}

// GuestError is an error of wasmtime-go (a trap, an exit) whose message
// lacks the host's native stack trace; errors.As still finds the original.
type GuestError struct{ err error }

// TrimNative returns err with the host's native stack trace removed from
// its message; nil stays nil, messages without one are returned as is.
func TrimNative(err error) error {
	if err == nil || !strings.Contains(err.Error(), nativeBacktrace) {
		return err
	}
	return &GuestError{err: err}
}

func (e *GuestError) Error() string { return trimNative(e.err.Error()) }

// Unwrap returns the original error.
func (e *GuestError) Unwrap() error { return e.err }
