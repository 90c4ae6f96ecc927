;; A wasi:http@0.2.0 handler that also imports a Spin 3 interface the host
;; does not implement (spin:key-value@3.0.0, with its resource). GET answers
;; 201 with no body; DELETE first calls [static]store.open, which traps.
;; Only the wasi:http/types items it uses are imported (the host's @0.2.6
;; satisfies this @0.2.0 import).
(component
  (import "wasi:http/types@0.2.0" (instance $types
    (export "fields" (type $fields (sub resource)))
    (export "incoming-request" (type $req (sub resource)))
    (export "outgoing-response" (type $resp (sub resource)))
    (export "response-outparam" (type $out (sub resource)))
    (type $m (variant (case "get") (case "head") (case "post") (case "put") (case "delete") (case "connect")
                      (case "options") (case "trace") (case "patch") (case "other" string)))
    (export "method" (type $method (eq $m)))
    (export "[constructor]fields" (func (result (own $fields))))
    (export "[method]incoming-request.method" (func (param "self" (borrow $req)) (result $method)))
    (export "[constructor]outgoing-response" (func (param "headers" (own $fields)) (result (own $resp))))
    (export "[method]outgoing-response.set-status-code" (func (param "self" (borrow $resp)) (param "status-code" u16) (result (result))))
    (export "[static]response-outparam.set" (func (param "param" (own $out)) (param "response" (result (own $resp)))))))
  (import "spin:key-value/key-value@3.0.0" (instance $kv
    (export "store" (type $store (sub resource)))
    (type $e (variant (case "store-table-full") (case "no-such-store") (case "access-denied") (case "other" string)))
    (export "error" (type $error (eq $e)))
    (export "[static]store.open" (func (param "label" string) (result (result (own $store) (error $error)))))
    (export "[method]store.get" (func (param "self" (borrow $store)) (param "key" string) (result (result (option (list u8)) (error $error)))))))
  (alias export $types "incoming-request" (type $req))
  (alias export $types "response-outparam" (type $out))
  (alias export $types "[constructor]fields" (func $new-fields))
  (alias export $types "[method]incoming-request.method" (func $method))
  (alias export $types "[constructor]outgoing-response" (func $new-resp))
  (alias export $types "[method]outgoing-response.set-status-code" (func $set-status))
  (alias export $types "[static]response-outparam.set" (func $set))
  (alias export $kv "[static]store.open" (func $kv-open))

  (core module $libc
    (memory (export "memory") 1)
    (global $heap (mut i32) (i32.const 4096))
    ;; realloc: a bump allocator within the first page (small strings only).
    (func (export "realloc") (param i32 i32) (param $align i32) (param $size i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (global.set $heap (i32.add (local.get $p) (local.get $size)))
      (if (i32.gt_u (global.get $heap) (i32.const 65536)) (then unreachable))
      (local.get $p)))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "memory" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
  (core func $new-fields-l (canon lower (func $new-fields)))
  (core func $method-l (canon lower (func $method) (memory $mem) (realloc $realloc)))
  (core func $new-resp-l (canon lower (func $new-resp)))
  (core func $set-status-l (canon lower (func $set-status)))
  (core func $set-l (canon lower (func $set)))
  (core func $kv-open-l (canon lower (func $kv-open) (memory $mem) (realloc $realloc)))

  (core module $main
    (import "libc" "memory" (memory 1))
    (import "host" "new-fields" (func $new-fields (result i32)))
    (import "host" "method" (func $method (param i32 i32)))
    (import "host" "new-resp" (func $new-resp (param i32) (result i32)))
    (import "host" "set-status" (func $set-status (param i32 i32) (result i32)))
    (import "host" "set" (func $set (param i32 i32 i32)))
    (import "host" "kv-open" (func $kv-open (param i32 i32 i32)))
    (data (i32.const 1024) "default")
    (func (export "handle") (param $req i32) (param $out i32)
      (local $resp i32)
      (call $method (local.get $req) (i32.const 2000))
      (if (i32.eq (i32.load8_u (i32.const 2000)) (i32.const 4)) ;; delete
        (then (call $kv-open (i32.const 1024) (i32.const 7) (i32.const 2100))))
      (local.set $resp (call $new-resp (call $new-fields)))
      (drop (call $set-status (local.get $resp) (i32.const 201)))
      (call $set (local.get $out) (i32.const 0) (local.get $resp))))
  (core instance $main (instantiate $main
    (with "libc" (instance $libc))
    (with "host" (instance
      (export "new-fields" (func $new-fields-l)) (export "method" (func $method-l))
      (export "new-resp" (func $new-resp-l)) (export "set-status" (func $set-status-l))
      (export "set" (func $set-l)) (export "kv-open" (func $kv-open-l))))))

  (func $handle (param "request" (own $req)) (param "response-out" (own $out))
    (canon lift (core func $main "handle")))
  (instance $handler (export "handle" (func $handle)))
  (export "wasi:http/incoming-handler@0.2.0" (instance $handler)))
