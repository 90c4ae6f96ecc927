;; A component exporting fermyon:spin/inbound-redis (Spin's Redis trigger
;; world): handle-message returns ok when the payload is "ping", else the
;; error case "error".
(component
  (core module $main
    (memory (export "memory") 1)
    (global $heap (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32) (param $align i32) (param $size i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (global.set $heap (i32.add (local.get $p) (local.get $size)))
      (local.get $p))
    ;; result<_, error> at 0: tag u8 @0, error enum u8 @1
    (func (export "handle-message") (param $ptr i32) (param $len i32) (result i32)
      (if (i32.and (i32.eq (local.get $len) (i32.const 4))
                   (i32.eq (i32.load (local.get $ptr)) (i32.const 0x676e6970)))
        (then (i32.store8 (i32.const 0) (i32.const 0)))
        (else (i32.store8 (i32.const 0) (i32.const 1)) (i32.store8 (i32.const 1) (i32.const 1))))
      (i32.const 0)))
  (core instance $main (instantiate $main))
  (alias core export $main "memory" (core memory $mem))
  (alias core export $main "realloc" (core func $realloc))
  (type $error (enum "success" "error"))
  (type $payload (list u8))
  (func $handle (param "message" $payload) (result (result (error $error)))
    (canon lift (core func $main "handle-message") (memory $mem) (realloc $realloc)))
  (instance $inbound
    (export "error" (type $error))
    (export "payload" (type $payload))
    (export "handle-message" (func $handle)))
  (export "fermyon:spin/inbound-redis" (instance $inbound)))
