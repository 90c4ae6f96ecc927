;; A component using wasi:cli. Exports:
;;   print-env(): writes "name=value\n" for each environment variable to
;;     stdout, then "done\n" to stderr (blocking-write-and-flush)
;;   exit(code: u32): calls wasi:cli/exit with ok when code is 0, else err
(component $C
  (import "wasi:io/error@0.2.0" (instance $error
    (export "error" (type (sub resource)))))
  (alias export $error "error" (type $io-error))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (alias outer $C $io-error (type $io-error))
    (type $e (variant (case "last-operation-failed" (own $io-error)) (case "closed")))
    (export "stream-error" (type $stream-error (eq $e)))
    (export "output-stream" (type $os (sub resource)))
    (export "[method]output-stream.blocking-write-and-flush" (func (param "self" (borrow $os)) (param "contents" (list u8))
      (result (result (error $stream-error)))))))
  (alias export $streams "output-stream" (type $output-stream))
  (alias export $streams "[method]output-stream.blocking-write-and-flush" (func $write))
  (import "wasi:cli/stdout@0.2.0" (instance $stdout
    (alias outer $C $output-stream (type $os))
    (export "get-stdout" (func (result (own $os))))))
  (import "wasi:cli/stderr@0.2.0" (instance $stderr
    (alias outer $C $output-stream (type $os))
    (export "get-stderr" (func (result (own $os))))))
  (import "wasi:cli/environment@0.2.0" (instance $env
    (export "get-environment" (func (result (list (tuple string string)))))))
  (import "wasi:cli/exit@0.2.0" (instance $exit
    (export "exit" (func (param "status" (result))))))
  (alias export $stdout "get-stdout" (func $get-stdout))
  (alias export $stderr "get-stderr" (func $get-stderr))
  (alias export $env "get-environment" (func $get-env))
  (alias export $exit "exit" (func $exit))

  (core module $libc
    (memory (export "memory") 1)
    (global $heap (mut i32) (i32.const 8192))
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
  (core func $write-l (canon lower (func $write) (memory $mem)))
  (core func $get-stdout-l (canon lower (func $get-stdout)))
  (core func $get-stderr-l (canon lower (func $get-stderr)))
  (core func $get-env-l (canon lower (func $get-env) (memory $mem) (realloc $realloc)))
  (core func $exit-l (canon lower (func $exit)))
  (core func $drop-output-stream (canon resource.drop $output-stream))

  (core module $main
    (import "libc" "memory" (memory 1))
    (import "host" "write" (func $write (param i32 i32 i32 i32)))
    (import "host" "get-stdout" (func $get-stdout (result i32)))
    (import "host" "get-stderr" (func $get-stderr (result i32)))
    (import "host" "get-env" (func $get-env (param i32)))
    (import "host" "exit" (func $exit (param i32)))
    (import "host" "drop-output-stream" (func $drop-output-stream (param i32)))
    (data (i32.const 1024) "=\n")
    (data (i32.const 1040) "done\n")
    ;; put writes len bytes at ptr to stream os, trapping on a stream error.
    (func $put (param $os i32) (param $ptr i32) (param $len i32)
      (call $write (local.get $os) (local.get $ptr) (local.get $len) (i32.const 2000))
      (if (i32.load8_u (i32.const 2000)) (then unreachable)))
    (func (export "print-env")
      (local $os i32) (local $e i32) (local $end i32)
      (local.set $os (call $get-stdout))
      ;; list<tuple<string, string>> at 2016: ptr, len; 16-byte elements.
      (call $get-env (i32.const 2016))
      (local.set $e (i32.load (i32.const 2016)))
      (local.set $end (i32.add (local.get $e) (i32.mul (i32.load (i32.const 2020)) (i32.const 16))))
      (block $done
        (loop $next
          (br_if $done (i32.ge_u (local.get $e) (local.get $end)))
          (call $put (local.get $os) (i32.load (local.get $e)) (i32.load offset=4 (local.get $e)))
          (call $put (local.get $os) (i32.const 1024) (i32.const 1))
          (call $put (local.get $os) (i32.load offset=8 (local.get $e)) (i32.load offset=12 (local.get $e)))
          (call $put (local.get $os) (i32.const 1025) (i32.const 1))
          (local.set $e (i32.add (local.get $e) (i32.const 16)))
          (br $next)))
      (call $drop-output-stream (local.get $os))
      (local.set $os (call $get-stderr))
      (call $put (local.get $os) (i32.const 1040) (i32.const 5))
      (call $drop-output-stream (local.get $os)))
    (func (export "exit") (param $code i32)
      (call $exit (i32.ne (local.get $code) (i32.const 0)))))
  (core instance $main (instantiate $main
    (with "libc" (instance $libc))
    (with "host" (instance
      (export "write" (func $write-l)) (export "get-stdout" (func $get-stdout-l)) (export "get-stderr" (func $get-stderr-l))
      (export "get-env" (func $get-env-l)) (export "exit" (func $exit-l))
      (export "drop-output-stream" (func $drop-output-stream))))))

  (func (export "print-env") (canon lift (core func $main "print-env")))
  (func (export "exit") (param "code" u32) (canon lift (core func $main "exit"))))
