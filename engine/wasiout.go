package engine

/*
// wasi_config_set_{stdout,stderr}_custom from Wasmtime's C API (wasi.h as
// shipped with wasmtime-go v39.0.1), linked from wasmtime-go's
// libwasmtime.a.
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

typedef struct wasi_config_t wasi_config_t;
typedef ptrdiff_t (*spinoci_write_fn)(void *, const unsigned char *, size_t);
extern void wasi_config_set_stdout_custom(wasi_config_t *, spinoci_write_fn, void *data, void (*finalizer)(void *));
extern void wasi_config_set_stderr_custom(wasi_config_t *, spinoci_write_fn, void *data, void (*finalizer)(void *));

// spinoci_write_fd writes all of buf to the file descriptor in data. It
// returns the bytes written or a negative errno, as wasmtime expects.
static ptrdiff_t spinoci_write_fd(void *data, const unsigned char *buf, size_t len) {
  int fd = (int)(intptr_t)data;
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, buf + done, len - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return done > 0 ? (ptrdiff_t)done : -(ptrdiff_t)errno;
    }
    done += (size_t)n;
  }
  return (ptrdiff_t)done;
}

static void spinoci_set_output_fd(wasi_config_t *c, int stderr, int fd) {
  if (stderr) {
    wasi_config_set_stderr_custom(c, spinoci_write_fd, (void *)(intptr_t)fd, NULL);
  } else {
    wasi_config_set_stdout_custom(c, spinoci_write_fd, (void *)(intptr_t)fd, NULL);
  }
}
*/
import "C"

import (
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// wasmtime-go's WasiConfig is a single wasi_config_t pointer (its only
// field): the build fails here if that ever changes.
const _ = unsafe.Sizeof(wasmtime.WasiConfig{}) - unsafe.Sizeof(uintptr(0)) +
	(unsafe.Sizeof(uintptr(0)) - unsafe.Sizeof(wasmtime.WasiConfig{}))

// Guest output streams of setOutputFD.
const (
	guestStdout = 0
	guestStderr = 1
)

// setOutputFD sends the guest's stdout or stderr (which) to fd, a blocking
// file descriptor that must stay open as long as the Store. Unlike
// WasiConfig.SetStdoutFile it opens nothing per Store.
func setOutputFD(wasi *wasmtime.WasiConfig, which, fd int) {
	ptr := *(**C.wasi_config_t)(unsafe.Pointer(wasi))
	C.spinoci_set_output_fd(ptr, C.int(which), C.int(fd))
}
