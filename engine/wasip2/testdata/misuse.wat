;; A component that calls wasi:http/types functions the wrong way. Its
;; import declares some functions with other parameter types than the WIT
;; (Wasmtime passes host functions the arguments as the guest declares
;; them), so the host must catch the mismatch itself. Each export does one
;; thing:
;;   wrong-type:     [method]fields.get with a u32 name
;;   wrong-resource: [constructor]outgoing-response given a request-options
;;                   handle as its headers
;;   wrong-arity:    [method]fields.entries with an extra u32
;;   body-twice:     [method]outgoing-request.body twice; returns the two
;;                   result discriminants as first*10 + second
;;   drop-fields:    makes a fields and drops it (the host's destructor
;;                   runs)
;;   use-dropped:    drops a fields, then calls [method]fields.clone on it
(component
  (import "wasi:http/types@0.2.0" (instance $types
    (export "fields" (type $fields (sub resource)))
    (export "request-options" (type $opts (sub resource)))
    (export "outgoing-request" (type $req (sub resource)))
    (export "outgoing-body" (type $body (sub resource)))
    (export "outgoing-response" (type $resp (sub resource)))
    (export "[constructor]fields" (func (result (own $fields))))
    (export "[constructor]request-options" (func (result (own $opts))))
    (export "[constructor]outgoing-request" (func (param "headers" (own $fields)) (result (own $req))))
    (export "[method]outgoing-request.body" (func (param "self" (borrow $req)) (result (result (own $body)))))
    (export "[method]fields.get" (func (param "self" (borrow $fields)) (param "name" u32) (result (list (list u8)))))
    (export "[constructor]outgoing-response" (func (param "headers" (own $opts)) (result (own $resp))))
    (export "[method]fields.clone" (func (param "self" (borrow $fields)) (result (own $fields))))
    (export "[method]fields.entries" (func (param "self" (borrow $fields)) (param "extra" u32)
      (result (list (tuple string (list u8))))))))
  (alias export $types "fields" (type $fields))
  (alias export $types "[constructor]fields" (func $new-fields))
  (alias export $types "[constructor]request-options" (func $new-opts))
  (alias export $types "[constructor]outgoing-request" (func $new-req))
  (alias export $types "[method]outgoing-request.body" (func $req-body))
  (alias export $types "[method]fields.get" (func $get))
  (alias export $types "[constructor]outgoing-response" (func $new-resp))
  (alias export $types "[method]fields.entries" (func $entries))
  (alias export $types "[method]fields.clone" (func $clone))

  (core module $libc
    (memory (export "memory") 1)
    (global $heap (mut i32) (i32.const 4096))
    ;; realloc: a bump allocator within the first page (small values only).
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
  (core func $new-opts-l (canon lower (func $new-opts)))
  (core func $new-req-l (canon lower (func $new-req)))
  (core func $req-body-l (canon lower (func $req-body) (memory $mem)))
  (core func $get-l (canon lower (func $get) (memory $mem) (realloc $realloc)))
  (core func $new-resp-l (canon lower (func $new-resp)))
  (core func $entries-l (canon lower (func $entries) (memory $mem) (realloc $realloc)))
  (core func $clone-l (canon lower (func $clone)))
  (core func $drop-fields (canon resource.drop $fields))

  (core module $main
    (import "libc" "memory" (memory 1))
    (import "host" "new-fields" (func $new-fields (result i32)))
    (import "host" "new-opts" (func $new-opts (result i32)))
    (import "host" "new-req" (func $new-req (param i32) (result i32)))
    (import "host" "req-body" (func $req-body (param i32 i32)))
    (import "host" "get" (func $get (param i32 i32 i32)))
    (import "host" "new-resp" (func $new-resp (param i32) (result i32)))
    (import "host" "entries" (func $entries (param i32 i32 i32)))
    (import "host" "clone" (func $clone (param i32) (result i32)))
    (import "host" "drop-fields" (func $drop-fields (param i32)))
    (func (export "wrong-type")
      (call $get (call $new-fields) (i32.const 7) (i32.const 2000)))
    (func (export "wrong-resource")
      (drop (call $new-resp (call $new-opts))))
    (func (export "wrong-arity")
      (call $entries (call $new-fields) (i32.const 1) (i32.const 2000)))
    (func (export "body-twice") (result i32)
      (local $req i32) (local $first i32)
      (local.set $req (call $new-req (call $new-fields)))
      (call $req-body (local.get $req) (i32.const 2000))
      (local.set $first (i32.load8_u (i32.const 2000)))
      (call $req-body (local.get $req) (i32.const 2000))
      (i32.add (i32.mul (local.get $first) (i32.const 10)) (i32.load8_u (i32.const 2000))))
    (func (export "drop-fields")
      (call $drop-fields (call $new-fields)))
    (func (export "use-dropped")
      (local $f i32)
      (local.set $f (call $new-fields))
      (call $drop-fields (local.get $f))
      (drop (call $clone (local.get $f)))))
  (core instance $main (instantiate $main
    (with "libc" (instance $libc))
    (with "host" (instance
      (export "new-fields" (func $new-fields-l)) (export "new-opts" (func $new-opts-l))
      (export "new-req" (func $new-req-l)) (export "req-body" (func $req-body-l))
      (export "get" (func $get-l)) (export "new-resp" (func $new-resp-l)) (export "entries" (func $entries-l))
      (export "clone" (func $clone-l)) (export "drop-fields" (func $drop-fields))))))

  (func (export "wrong-type") (canon lift (core func $main "wrong-type")))
  (func (export "wrong-resource") (canon lift (core func $main "wrong-resource")))
  (func (export "wrong-arity") (canon lift (core func $main "wrong-arity")))
  (func (export "body-twice") (result u32) (canon lift (core func $main "body-twice")))
  (func (export "drop-fields") (canon lift (core func $main "drop-fields")))
  (func (export "use-dropped") (canon lift (core func $main "use-dropped"))))
