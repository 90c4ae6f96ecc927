;; redis-spin1.wat: a Spin 1.x Redis handler (wit-bindgen 0.2 ABI).
;; handle-redis-message writes "redis message: <payload>\n" to stdout and
;; returns ok, or the error case when the payload starts with "f".
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 4096))
  (data (i32.const 64) "redis message: ")
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (if (i32.eqz (local.get 3)) (then (return (local.get 2))))
    (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $next (i32.add (local.get $p) (local.get 3)))
    (if (i32.gt_u (global.get $next) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (global.get $next) (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1))) (i32.const -1))
        (then unreachable))))
    (local.get $p))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func (export "handle-redis-message") (param $ptr i32) (param $len i32) (result i32)
    ;; the line "redis message: <payload>\n" is built at $line, so that one
    ;; write (atomic on a pipe) carries it
    (local $line i32)
    (local.set $line (global.get $next))
    (global.set $next (i32.add (global.get $next) (i32.add (local.get $len) (i32.const 16))))
    (if (i32.gt_u (global.get $next) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $len) (i32.const 16)) (i32.const 1))))))
    (memory.copy (local.get $line) (i32.const 64) (i32.const 15))
    (memory.copy (i32.add (local.get $line) (i32.const 15)) (local.get $ptr) (local.get $len))
    (i32.store8 (i32.add (local.get $line) (i32.add (local.get $len) (i32.const 15))) (i32.const 10))
    (i32.store (i32.const 16) (local.get $line))
    (i32.store (i32.const 20) (i32.add (local.get $len) (i32.const 16)))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 48)))
    ;; return area at 0: tag, error case
    (i32.store8 (i32.const 0) (i32.const 0))
    (if (i32.and (i32.gt_u (local.get $len) (i32.const 0))
                 (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 0x66)))
      (then (i32.store8 (i32.const 0) (i32.const 1)) (i32.store8 (i32.const 1) (i32.const 1))))
    (i32.const 0)))
