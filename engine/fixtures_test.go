package engine

import (
	"fmt"
	"strings"
)

// spinImportsWAT imports every Spin 1.x host function with the signature
// Spin 1.x defines for it, written out independently of linker.go.
const spinImportsWAT = `
  (import "wasi-outbound-http" "request" (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "spin-config" "get-config" (func (param i32 i32 i32)))
  (import "key-value" "open" (func $kv_open (param i32 i32 i32)))
  (import "key-value" "get" (func (param i32 i32 i32 i32)))
  (import "key-value" "set" (func (param i32 i32 i32 i32 i32 i32)))
  (import "key-value" "delete" (func (param i32 i32 i32 i32)))
  (import "key-value" "exists" (func (param i32 i32 i32 i32)))
  (import "key-value" "get-keys" (func (param i32 i32)))
  (import "key-value" "close" (func (param i32)))
  (import "outbound-redis" "publish" (func $redis_publish (param i32 i32 i32 i32 i32 i32 i32)))
  (import "outbound-redis" "set" (func (param i32 i32 i32 i32 i32 i32 i32)))
  (import "outbound-redis" "get" (func (param i32 i32 i32 i32 i32)))
  (import "outbound-redis" "incr" (func (param i32 i32 i32 i32 i32)))
  (import "outbound-redis" "del" (func (param i32 i32 i32 i32 i32)))
  (import "outbound-redis" "sadd" (func (param i32 i32 i32 i32 i32 i32 i32)))
  (import "outbound-redis" "smembers" (func (param i32 i32 i32 i32 i32)))
  (import "outbound-redis" "srem" (func (param i32 i32 i32 i32 i32 i32 i32)))
  (import "outbound-redis" "execute" (func (param i32 i32 i32 i32 i32 i32 i32)))
  (import "outbound-pg" "query" (func $pg_query (param i32 i32 i32 i32 i32 i32 i32)))
  (import "outbound-pg" "execute" (func (param i32 i32 i32 i32 i32 i32 i32)))
  (import "outbound-mysql" "query" (func (param i32 i32 i32 i32 i32 i32 i32)))
  (import "outbound-mysql" "execute" (func (param i32 i32 i32 i32 i32 i32 i32)))
  (import "sqlite" "open" (func (param i32 i32 i32)))
  (import "sqlite" "execute" (func (param i32 i32 i32 i32 i32 i32)))
  (import "sqlite" "close" (func (param i32)))
  (import "llm" "infer" (func (param i32 i32 i32 i32 i32 i32 f32 i32 f32 i32 f32 i32)))
  (import "llm" "generate-embeddings" (func (param i32 i32 i32 i32 i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
`

// spinWAT is a Spin-ABI module (bump allocator, no-op free) whose
// handle-http-request has the given body. Parameters are named $method,
// $uri, $uri_len, $hdr, $hdr_len, $body, $body_len.
func spinWAT(handler string) string {
	return `(module` + spinImportsWAT + `
  (memory (export "memory") 64)
  (global $next (mut i32) (i32.const 4096))
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (if (i32.eqz (local.get 3)) (then (return (local.get 2))))
    (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $next (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func (export "handle-http-request")
    (param $method i32) (param $uri i32) (param $uri_len i32) (param $hdr i32) (param $hdr_len i32)
    (param i32) (param i32) (param i32) (param $body i32) (param $body_len i32) (result i32)
    ` + handler + `))`
}

// echoHandler answers status with the request headers as response headers
// and the request body as body.
func echoHandler(status int) string {
	return fmt.Sprintf(`
    (i32.store16 (i32.const 0) (i32.const %d))
    (i32.store8 (i32.const 4) (i32.const 1))
    (i32.store (i32.const 8) (local.get $hdr))
    (i32.store (i32.const 12) (local.get $hdr_len))
    (i32.store8 (i32.const 16) (i32.const 1))
    (i32.store (i32.const 20) (local.get $body))
    (i32.store (i32.const 24) (local.get $body_len))
    (i32.const 0)`, status)
}

// wagiWAT is a WASI command whose entry export writes out to stdout and
// then runs tail (e.g. a proc_exit call, "unreachable" or nothing).
func wagiWAT(entry, out, tail string) string {
	var esc strings.Builder
	for i := 0; i < len(out); i++ {
		fmt.Fprintf(&esc, "\\%02x", out[i])
	}
	return fmt.Sprintf(`(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "%s")
  (func (export %q)
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const %d))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    %s))`, esc.String(), entry, len(out), tail)
}
