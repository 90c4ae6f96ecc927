;; A component exporting fermyon:spin/inbound-http (as `spin registry push`
;; makes of a Spin 1.x module). handle-request answers 200 with the request's
;; uri as its body and the request's headers as its headers. It imports a Spin 3-style
;; interface with a resource and an unversioned fermyon:spin/config, which
;; the host does not implement: DELETE calls the first, PUT the second.
(component
  (import "spin:key-value/key-value@3.0.0" (instance $kv
    (export "store" (type $store (sub resource)))
    (export "[static]store.open" (func (param "label" string) (result (own $store))))
    (export "[method]store.exists" (func (param "self" (borrow $store)) (param "key" string) (result bool)))))
  (import "fermyon:spin/config" (instance $config
    (type $e (variant (case "provider" string) (case "invalid-key" string) (case "invalid-schema" string) (case "other" string)))
    (export "error" (type $error (eq $e)))
    (export "get-config" (func (param "key" string) (result (result string (error $error)))))))
  (alias export $kv "[static]store.open" (func $kv-open))
  (alias export $config "get-config" (func $get-config))

  (core module $libc
    (memory (export "memory") 1)
    (global $heap (mut i32) (i32.const 4096))
    ;; realloc: a bump allocator (a fresh instance serves each request).
    (func (export "realloc") (param i32 i32) (param $align i32) (param $size i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (global.set $heap (i32.add (local.get $p) (local.get $size)))
      (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
        (then (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (global.get $heap) (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1))) (i32.const -1))
          (then unreachable))))
      (local.get $p)))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "memory" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
  (core func $open (canon lower (func $kv-open) (memory $mem) (realloc $realloc)))
  (core func $getcfg (canon lower (func $get-config) (memory $mem) (realloc $realloc)))

  (core module $main
    (import "libc" "memory" (memory 1))
    (import "host" "open" (func $open (param i32 i32) (result i32)))
    (import "host" "get-config" (func $getcfg (param i32 i32 i32)))
    (data (i32.const 1024) "label")
    (func (export "handle-request")
      (param $method i32) (param $uri i32) (param $urilen i32) (param $hdrs i32) (param $nhdrs i32)
      (param i32 i32 i32 i32 i32) (result i32)
      (if (i32.eq (local.get $method) (i32.const 3))
        (then (drop (call $open (i32.const 1024) (i32.const 5)))))
      (if (i32.eq (local.get $method) (i32.const 2))
        (then (call $getcfg (i32.const 1024) (i32.const 5) (i32.const 3000))))
      ;; response at 2048: status, some(request headers), some(body = uri)
      (i32.store16 (i32.const 2048) (i32.const 200))
      (i32.store8 (i32.const 2052) (i32.const 1))
      (i32.store (i32.const 2056) (local.get $hdrs))
      (i32.store (i32.const 2060) (local.get $nhdrs))
      (i32.store8 (i32.const 2064) (i32.const 1))
      (i32.store (i32.const 2068) (local.get $uri))
      (i32.store (i32.const 2072) (local.get $urilen))
      (i32.const 2048)))
  (core instance $main (instantiate $main
    (with "libc" (instance $libc))
    (with "host" (instance (export "open" (func $open)) (export "get-config" (func $getcfg))))))

  (type $method (enum "get" "post" "put" "delete" "patch" "head" "options"))
  (type $headers (list (tuple string string)))
  (type $request (record (field "method" $method) (field "uri" string) (field "headers" $headers)
                         (field "params" $headers) (field "body" (option (list u8)))))
  (type $response (record (field "status" u16) (field "headers" (option $headers)) (field "body" (option (list u8)))))
  (func $handle (param "req" $request) (result $response)
    (canon lift (core func $main "handle-request") (memory $mem) (realloc $realloc)))
  (instance $inbound
    (export "method" (type $method))
    (export "request" (type $request))
    (export "response" (type $response))
    (export "handle-request" (func $handle)))
  (export "fermyon:spin/inbound-http" (instance $inbound)))
