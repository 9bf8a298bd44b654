;; The floor under the wasm bus (`visor bench modules`): the least a component can do to take
;; one message from its host and hand it back on, over the same kinds of host calls an app on
;; Visor's bus makes — a poll that returns `list<u8>` (lowered into the guest through its
;; `realloc`) and a publish that takes a `string` topic and a `list<u8>` payload.
;;
;; Its `realloc` always answers the same address and its `step` reads nothing but the length,
;; so every nanosecond it takes beyond the host calls is wasmtime's.
(component
  (import "take" (func $take (result (list u8))))
  (import "give" (func $give (param "topic" string) (param "payload" (list u8)) (result u32)))

  (core module $memory
    (memory (export "memory") 1)
    ;; The outgoing topic, at a fixed address.
    (data (i32.const 32) "mid/a")
    ;; One allocation at a time, always the same place: a list lowered into the guest is
    ;; read and passed on before the next one arrives.
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      i32.const 1024))
  (core instance $memory (instantiate $memory))

  (core func $take (canon lower (func $take) (memory (core memory $memory "memory")) (realloc (core func $memory "realloc"))))
  (core func $give (canon lower (func $give) (memory (core memory $memory "memory"))))

  (core module $main
    (import "memory" "memory" (memory 1))
    (import "host" "take" (func $take (param i32)))
    (import "host" "give" (func $give (param i32 i32 i32 i32) (result i32)))
    ;; Polls once; passes on what came, if anything.
    (func (export "step") (local $len i32)
      (call $take (i32.const 16))
      (local.set $len (i32.load offset=4 (i32.const 16)))
      (if (local.get $len)
        (then (drop (call $give (i32.const 32) (i32.const 5) (i32.load (i32.const 16)) (local.get $len)))))))
  (core instance $main
    (instantiate $main
      (with "memory" (instance $memory))
      (with "host" (instance (export "take" (func $take)) (export "give" (func $give))))))

  (func (export "step") (canon lift (core func $main "step"))))
