;; mqtt-handler.wat: a component of the spin-trigger-mqtt plugin's world:
;; the world-level handle-message(message: payload, metadata: { topic })
;; returns ok unless the payload is empty or starts with "f"; then
;; other(<topic>).
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
    ;; result<_, error> at 0: tag u8 @0; error variant: case u8 @4,
    ;; other's string ptr @8, len @12
    (func (export "handle-message") (param $ptr i32) (param $len i32) (param $topic i32) (param $topiclen i32) (result i32)
      (i32.store8 (i32.const 0) (i32.const 0))
      (if (i32.or (i32.eqz (local.get $len)) (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 0x66)))
        (then
          (i32.store8 (i32.const 0) (i32.const 1))
          (i32.store8 (i32.const 4) (i32.const 0))
          (i32.store (i32.const 8) (local.get $topic))
          (i32.store (i32.const 12) (local.get $topiclen))))
      (i32.const 0)))
  (core instance $main (instantiate $main))
  (alias core export $main "memory" (core memory $mem))
  (alias core export $main "realloc" (core func $realloc))
  (type $error (variant (case "other" string)))
  (type $metadata (record (field "topic" string)))
  (type $payload (list u8))
  (export $error-e "error" (type $error))
  (export $metadata-e "metadata" (type $metadata))
  (func $handle (param "message" $payload) (param "metadata" $metadata-e) (result (result (error $error-e)))
    (canon lift (core func $main "handle-message") (memory $mem) (realloc $realloc)))
  (export "handle-message" (func $handle)))
