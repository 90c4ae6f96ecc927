;; A component exporting fermyon:spin/inbound-http, as `spin registry push`
;; makes of a Spin 1.x module. handle-request answers 200 with the request's
;; uri as its body and the request's headers as its headers, except:
;;   PUT:    body = get-config(key = request body) (fermyon:spin/config);
;;           an error answers 460 + its case, body = its message
;;   POST:   key-value (unversioned): open "default", set "k" = request body,
;;           body = get "k"; an error answers 470/480/490 + its case
;;   PATCH:  calls fermyon:spin/redis incr at address "default" (not a Redis
;;           URL); an error answers 450 + its enum case (451: error)
;;   DELETE: calls spin:key-value@3.0.0 [static]store.open (Spin 3, with a
;;           resource), which the host does not implement
(component
  (import "spin:key-value/key-value@3.0.0" (instance $kv3
    (export "store" (type $store (sub resource)))
    (export "[static]store.open" (func (param "label" string) (result (own $store))))
    (export "[method]store.exists" (func (param "self" (borrow $store)) (param "key" string) (result bool)))))
  (import "fermyon:spin/config" (instance $config
    (type $e (variant (case "provider" string) (case "invalid-key" string) (case "invalid-schema" string) (case "other" string)))
    (export "error" (type $error (eq $e)))
    (export "get-config" (func (param "key" string) (result (result string (error $error)))))))
  (import "fermyon:spin/key-value" (instance $kv
    (type $e (variant (case "store-table-full") (case "no-such-store") (case "access-denied") (case "invalid-store")
                      (case "no-such-key") (case "io" string)))
    (export "error" (type $error (eq $e)))
    (export "open" (func (param "name" string) (result (result u32 (error $error)))))
    (export "get" (func (param "store" u32) (param "key" string) (result (result (list u8) (error $error)))))
    (export "set" (func (param "store" u32) (param "key" string) (param "value" (list u8)) (result (result (error $error)))))))
  (import "fermyon:spin/redis" (instance $redis
    (type $e (enum "success" "error"))
    (export "error" (type $error (eq $e)))
    (export "incr" (func (param "address" string) (param "key" string) (result (result s64 (error $error)))))))
  (alias export $kv3 "[static]store.open" (func $kv3-open))
  (alias export $config "get-config" (func $get-config))
  (alias export $kv "open" (func $kv-open))
  (alias export $kv "get" (func $kv-get))
  (alias export $kv "set" (func $kv-set))
  (alias export $redis "incr" (func $incr))

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
  (core func $kv3-open-l (canon lower (func $kv3-open) (memory $mem) (realloc $realloc)))
  (core func $get-config-l (canon lower (func $get-config) (memory $mem) (realloc $realloc)))
  (core func $kv-open-l (canon lower (func $kv-open) (memory $mem) (realloc $realloc)))
  (core func $kv-get-l (canon lower (func $kv-get) (memory $mem) (realloc $realloc)))
  (core func $kv-set-l (canon lower (func $kv-set) (memory $mem) (realloc $realloc)))
  (core func $incr-l (canon lower (func $incr) (memory $mem) (realloc $realloc)))

  (core module $main
    (import "libc" "memory" (memory 1))
    (import "host" "kv3-open" (func $kv3-open (param i32 i32) (result i32)))
    (import "host" "get-config" (func $get-config (param i32 i32 i32)))
    (import "host" "kv-open" (func $kv-open (param i32 i32 i32)))
    (import "host" "kv-get" (func $kv-get (param i32 i32 i32 i32)))
    (import "host" "kv-set" (func $kv-set (param i32 i32 i32 i32 i32 i32)))
    (import "host" "incr" (func $incr (param i32 i32 i32 i32 i32)))
    (data (i32.const 1024) "default")
    (data (i32.const 1040) "k")
    ;; The response record at 2048: status u16 @0, headers option @4
    ;; (tag, ptr @8, len @12), body option @16 (tag, ptr @20, len @24).
    (func $respond (param $status i32) (param $body i32) (param $len i32) (result i32)
      (i32.store16 (i32.const 2048) (local.get $status))
      (i32.store (i32.const 2068) (local.get $body))
      (i32.store (i32.const 2072) (local.get $len))
      (i32.const 2048))
    (func (export "handle-request")
      (param $method i32) (param $uri i32) (param $urilen i32) (param $hdrs i32) (param $nhdrs i32)
      (param i32 i32) (param $bodytag i32) (param $body i32) (param $bodylen i32) (result i32)
      (local $store i32)
      (i32.store8 (i32.const 2052) (i32.const 1))
      (i32.store (i32.const 2056) (local.get $hdrs))
      (i32.store (i32.const 2060) (local.get $nhdrs))
      (i32.store8 (i32.const 2064) (i32.const 1))
      (if (i32.eq (local.get $method) (i32.const 3)) ;; DELETE
        (then (drop (call $kv3-open (i32.const 1024) (i32.const 7)))))
      (if (i32.eq (local.get $method) (i32.const 4)) ;; PATCH
        (then
          (call $incr (i32.const 1024) (i32.const 7) (i32.const 1040) (i32.const 1) (i32.const 3000))
          (if (i32.load8_u (i32.const 3000))
            (then (return (call $respond (i32.add (i32.const 450) (i32.load8_u (i32.const 3008))) (i32.const 0) (i32.const 0)))))))
      (if (i32.eq (local.get $method) (i32.const 2)) ;; PUT
        (then
          (call $get-config (local.get $body) (local.get $bodylen) (i32.const 3000))
          (if (i32.load8_u (i32.const 3000))
            (then (return (call $respond (i32.add (i32.const 460) (i32.load8_u (i32.const 3004)))
                                         (i32.load (i32.const 3008)) (i32.load (i32.const 3012))))))
          (return (call $respond (i32.const 200) (i32.load (i32.const 3004)) (i32.load (i32.const 3008))))))
      (if (i32.eq (local.get $method) (i32.const 1)) ;; POST
        (then
          (call $kv-open (i32.const 1024) (i32.const 7) (i32.const 3100))
          (if (i32.load8_u (i32.const 3100))
            (then (return (call $respond (i32.add (i32.const 470) (i32.load8_u (i32.const 3104))) (i32.const 0) (i32.const 0)))))
          (local.set $store (i32.load (i32.const 3104)))
          (call $kv-set (local.get $store) (i32.const 1040) (i32.const 1) (local.get $body) (local.get $bodylen) (i32.const 3200))
          (if (i32.load8_u (i32.const 3200))
            (then (return (call $respond (i32.add (i32.const 480) (i32.load8_u (i32.const 3204))) (i32.const 0) (i32.const 0)))))
          (call $kv-get (local.get $store) (i32.const 1040) (i32.const 1) (i32.const 3300))
          (if (i32.load8_u (i32.const 3300))
            (then (return (call $respond (i32.add (i32.const 490) (i32.load8_u (i32.const 3304))) (i32.const 0) (i32.const 0)))))
          (return (call $respond (i32.const 200) (i32.load (i32.const 3304)) (i32.load (i32.const 3308))))))
      (call $respond (i32.const 200) (local.get $uri) (local.get $urilen))))
  (core instance $main (instantiate $main
    (with "libc" (instance $libc))
    (with "host" (instance
      (export "kv3-open" (func $kv3-open-l)) (export "get-config" (func $get-config-l))
      (export "kv-open" (func $kv-open-l)) (export "kv-get" (func $kv-get-l)) (export "kv-set" (func $kv-set-l))
      (export "incr" (func $incr-l))))))

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
