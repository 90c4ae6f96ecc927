package capi

/*
#include "capi.h"
*/
import "C"

import (
	"runtime"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// wasmtime-go's WasiConfig is a single wasi_config_t pointer (its only
// field): the build fails here if its size changes, and the layout test
// checks the field.
const _ = unsafe.Sizeof(wasmtime.WasiConfig{}) - unsafe.Sizeof(uintptr(0)) +
	(unsafe.Sizeof(uintptr(0)) - unsafe.Sizeof(wasmtime.WasiConfig{}))

// SetStdoutFD sends the guest's stdout to fd, a blocking file descriptor
// that must stay open as long as the Store, through a callback of the C
// API. Unlike WasiConfig.SetStdoutFile it opens nothing per Store, but
// Wasmtime then starts a task on a thread pool of its own for each Store
// and hands every write to it (thread switches), where it writes a file in
// the guest's thread: a fallback for when a file cannot be opened.
func SetStdoutFD(wasi *wasmtime.WasiConfig, fd int) { setOutputFD(wasi, false, fd) }

// SetStderrFD is SetStdoutFD for the guest's stderr.
func SetStderrFD(wasi *wasmtime.WasiConfig, fd int) { setOutputFD(wasi, true, fd) }

func setOutputFD(wasi *wasmtime.WasiConfig, toStderr bool, fd int) {
	ptr := *(**C.wasi_config_t)(unsafe.Pointer(wasi))
	C.spinoci_set_output_fd(ptr, C.bool(toStderr), C.int(fd))
	runtime.KeepAlive(wasi)
}
