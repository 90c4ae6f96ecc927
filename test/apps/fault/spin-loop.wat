;; spin-loop.wat: a Spin 1.x HTTP module whose handler never returns (a
;; runaway guest for the fault tests). Path "/ok..." answers 200 at once;
;; everything else loops.
(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  ;; return area at 0: status 200, no headers, no body
  (data (i32.const 0) "\c8\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00")
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (if (i32.eqz (local.get 3)) (then (return (local.get 2))))
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
  ;; handle-http-request(method, uri_ptr, uri_len, ...): loops unless the
  ;; URI starts with "/ok".
  (func (export "handle-http-request")
    (param $method i32) (param $uri i32) (param $uri_len i32) (param i32 i32 i32 i32 i32 i32 i32) (result i32)
    (if (i32.and (i32.ge_u (local.get $uri_len) (i32.const 3))
                 (i32.eq (i32.and (i32.load (local.get $uri)) (i32.const 0xffffff)) (i32.const 0x6b6f2f))) ;; "/ok"
      (then (return (i32.const 0))))
    (loop $forever (br $forever))
    (i32.const 0)))
