;; A Spin SDK 1.4/1.5-shaped HTTP module (wit-bindgen 0.8 canonical ABI): it
;; exports fermyon:spin/inbound-http#handle-request, cabi_realloc and the
;; post-return, carries a component-type custom section, and imports
;; fermyon:spin/config, fermyon:spin/key-value and (unused here)
;; fermyon:spin/redis with their flat signatures.
;;
;; handle-request answers status 200 + the method's index (GET 200, POST
;; 201), the request headers as response headers, and the body
;;   <config "greeting">|<the URI, stored under key "uri" in the "default"
;;   store and read back>|<the request body>
;; It traps when a host call fails. The post-return traps unless it gets the
;; return area the handler returned.
(module
  (import "fermyon:spin/config" "get-config" (func $get-config (param i32 i32 i32)))
  (import "fermyon:spin/key-value" "open" (func $kv-open (param i32 i32 i32)))
  (import "fermyon:spin/key-value" "set" (func $kv-set (param i32 i32 i32 i32 i32 i32)))
  (import "fermyon:spin/key-value" "get" (func $kv-get (param i32 i32 i32 i32)))
  (import "fermyon:spin/key-value" "close" (func $kv-close (param i32)))
  (import "fermyon:spin/redis" "publish" (func $redis-publish (param i32 i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 2)
  (global $next (mut i32) (i32.const 8192))
  (data (i32.const 1024) "greeting")
  (data (i32.const 1040) "default")
  (data (i32.const 1056) "uri")
  (@custom "component-type:reactor" "\00")
  (func $realloc (export "cabi_realloc") (param i32 i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $next (i32.add (local.get $p) (local.get $size)))
    (local.get $p))
  ;; Return areas: get-config @256, open @288, set @320, get @352; the
  ;; response @16.
  (func (export "fermyon:spin/inbound-http#handle-request")
    (param $method i32) (param $uri i32) (param $uri_len i32) (param $hdr i32) (param $hdr_len i32)
    (param i32) (param i32) (param i32) (param $body i32) (param $body_len i32) (result i32)
    (local $store i32) (local $out i32) (local $at i32)
    (call $get-config (i32.const 1024) (i32.const 8) (i32.const 256))
    (if (i32.load8_u (i32.const 256)) (then unreachable))
    (call $kv-open (i32.const 1040) (i32.const 7) (i32.const 288))
    (if (i32.load8_u (i32.const 288)) (then unreachable))
    (local.set $store (i32.load (i32.const 292)))
    (call $kv-set (local.get $store) (i32.const 1056) (i32.const 3) (local.get $uri) (local.get $uri_len) (i32.const 320))
    (if (i32.load8_u (i32.const 320)) (then unreachable))
    (call $kv-get (local.get $store) (i32.const 1056) (i32.const 3) (i32.const 352))
    (if (i32.load8_u (i32.const 352)) (then unreachable))
    (call $kv-close (local.get $store))
    ;; The body: greeting|value|request body.
    (local.set $out (call $realloc (i32.const 0) (i32.const 0) (i32.const 1)
      (i32.add (i32.add (i32.load (i32.const 264)) (i32.load (i32.const 360))) (i32.add (local.get $body_len) (i32.const 2)))))
    (local.set $at (local.get $out))
    (memory.copy (local.get $at) (i32.load (i32.const 260)) (i32.load (i32.const 264)))
    (local.set $at (i32.add (local.get $at) (i32.load (i32.const 264))))
    (i32.store8 (local.get $at) (i32.const 124))
    (local.set $at (i32.add (local.get $at) (i32.const 1)))
    (memory.copy (local.get $at) (i32.load (i32.const 356)) (i32.load (i32.const 360)))
    (local.set $at (i32.add (local.get $at) (i32.load (i32.const 360))))
    (i32.store8 (local.get $at) (i32.const 124))
    (local.set $at (i32.add (local.get $at) (i32.const 1)))
    (memory.copy (local.get $at) (local.get $body) (local.get $body_len))
    (local.set $at (i32.add (local.get $at) (local.get $body_len)))
    (i32.store16 (i32.const 16) (i32.add (i32.const 200) (local.get $method)))
    (i32.store8 (i32.const 20) (i32.const 1))
    (i32.store (i32.const 24) (local.get $hdr))
    (i32.store (i32.const 28) (local.get $hdr_len))
    (i32.store8 (i32.const 32) (i32.const 1))
    (i32.store (i32.const 36) (local.get $out))
    (i32.store (i32.const 40) (i32.sub (local.get $at) (local.get $out)))
    (i32.const 16))
  (func (export "cabi_post_fermyon:spin/inbound-http#handle-request") (param $ret i32)
    (if (i32.ne (local.get $ret) (i32.const 16)) (then unreachable))))
