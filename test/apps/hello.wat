;; hello.wat: the smallest Spin 1.x HTTP (wit-bindgen 0.2) module.
;; Any request -> 200, content-type: text/plain, body "hello from spinoci\n".
;; Also the benchmark app: keep it tiny.
(module
  (memory (export "memory") 1)
  ;; bump allocator for host-written arguments (never freed)
  (global $next (mut i32) (i32.const 1024))
  ;; header tuple {key_ptr, key_len, val_ptr, val_len} at 64
  (data (i32.const 64) "\80\00\00\00\0c\00\00\00\90\00\00\00\0a\00\00\00")
  (data (i32.const 128) "content-type")
  (data (i32.const 144) "text/plain")
  (data (i32.const 160) "hello from spinoci\n")
  ;; return area at 0: status 200, headers some(64, 1), body some(160, 19)
  (data (i32.const 0) "\c8\00\00\00\01\00\00\00\40\00\00\00\01\00\00\00\01\00\00\00\a0\00\00\00\13\00\00\00")
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (if (i32.eqz (local.get 3)) (then (return (local.get 2))))
    ;; align up: p = (next + align - 1) & -align
    (local.set $p
      (i32.and
        (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get 2))))
    (global.set $next (i32.add (local.get $p) (local.get 3)))
    (if (i32.gt_u (global.get $next) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq (memory.grow
              (i32.add (i32.shr_u (i32.sub (global.get $next) (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1)))
              (i32.const -1))
          (then unreachable))))
    (local.get $p))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func (export "handle-http-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (i32.const 0)))
