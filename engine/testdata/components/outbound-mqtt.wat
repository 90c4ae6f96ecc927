;; A component exporting fermyon:spin/inbound-http that publishes with
;; fermyon:spin/mqtt@2.0.0: handle-request opens a connection to the
;; address in the request body (username "u", password "p", keep-alive
;; 30 s) and publishes the request's uri on topic "spin/engine" with QoS
;; at-least-once. It answers 200, or on an error 450 + open's error case /
;; 460 + publish's, with the case's message (if any) as the body.
(component
  (import "fermyon:spin/mqtt@2.0.0" (instance $mqtt
    (export "connection" (type $conn (sub resource)))
    (type $e (variant (case "invalid-address") (case "too-many-connections") (case "connection-failed" string) (case "other" string)))
    (export "error" (type $error (eq $e)))
    (type $q (enum "at-most-once" "at-least-once" "exactly-once"))
    (export "qos" (type $qos (eq $q)))
    (export "[static]connection.open" (func (param "address" string) (param "username" string) (param "password" string)
      (param "keep-alive-interval-in-secs" u64) (result (result (own $conn) (error $error)))))
    (export "[method]connection.publish" (func (param "self" (borrow $conn)) (param "topic" string) (param "payload" (list u8))
      (param "qos" $qos) (result (result (error $error)))))))
  (alias export $mqtt "[static]connection.open" (func $open))
  (alias export $mqtt "[method]connection.publish" (func $publish))

  (core module $libc
    (memory (export "memory") 1)
    (global $heap (mut i32) (i32.const 8192))
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
  (core func $open-l (canon lower (func $open) (memory $mem) (realloc $realloc)))
  (core func $publish-l (canon lower (func $publish) (memory $mem) (realloc $realloc)))

  (core module $main
    (import "libc" "memory" (memory 1))
    (import "host" "open" (func $open (param i32 i32 i32 i32 i32 i32 i64 i32)))
    (import "host" "publish" (func $publish (param i32 i32 i32 i32 i32 i32 i32)))
    (data (i32.const 1024) "u")
    (data (i32.const 1032) "p")
    (data (i32.const 1040) "spin/engine")
    ;; The response record at 2048: status u16 @0, headers option @4
    ;; (none), body option @16 (tag, ptr @20, len @24).
    (func $respond (param $status i32) (param $body i32) (param $len i32) (result i32)
      (i32.store16 (i32.const 2048) (local.get $status))
      (i32.store8 (i32.const 2064) (i32.const 1))
      (i32.store (i32.const 2068) (local.get $body))
      (i32.store (i32.const 2072) (local.get $len))
      (i32.const 2048))
    ;; fail answers base + the error variant's case at ret+4, with its
    ;; string (connection-failed, other) as the body.
    (func $fail (param $base i32) (param $ret i32) (result i32)
      (local $case i32)
      (local.set $case (i32.load8_u (i32.add (local.get $ret) (i32.const 4))))
      (if (i32.ge_u (local.get $case) (i32.const 2))
        (then (return (call $respond (i32.add (local.get $base) (local.get $case))
          (i32.load (i32.add (local.get $ret) (i32.const 8))) (i32.load (i32.add (local.get $ret) (i32.const 12)))))))
      (call $respond (i32.add (local.get $base) (local.get $case)) (i32.const 0) (i32.const 0)))
    (func (export "handle-request")
      (param $method i32) (param $uri i32) (param $urilen i32) (param $hdrs i32) (param $nhdrs i32)
      (param i32 i32) (param $bodytag i32) (param $body i32) (param $bodylen i32) (result i32)
      (call $open (local.get $body) (local.get $bodylen) (i32.const 1024) (i32.const 1) (i32.const 1032) (i32.const 1)
        (i64.const 30) (i32.const 3000))
      (if (i32.load8_u (i32.const 3000)) (then (return (call $fail (i32.const 450) (i32.const 3000)))))
      (call $publish (i32.load (i32.const 3004)) (i32.const 1040) (i32.const 11) (local.get $uri) (local.get $urilen)
        (i32.const 1) (i32.const 3100))
      (if (i32.load8_u (i32.const 3100)) (then (return (call $fail (i32.const 460) (i32.const 3100)))))
      (call $respond (i32.const 200) (i32.const 0) (i32.const 0))))
  (core instance $main (instantiate $main
    (with "libc" (instance $libc))
    (with "host" (instance (export "open" (func $open-l)) (export "publish" (func $publish-l))))))

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
