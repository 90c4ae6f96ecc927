#!/bin/sh
# build.sh OUTDIR: builds every test app into OUTDIR
# (hello.wasm, spin-go.wasm, wagi-go.wasm, spin-host.wasm, resource-go.wasm,
# rc-2023-10-18.wasm, rc-2023-11-10.wasm, tinygo-status.wasm, spin-sdk14.wasm, fault-*.wasm,
# redis-spin1.wasm, mqtt-handler.wasm, command-go.wasm, outbound-mqtt.wasm, sockets-echo.wasm,
# spin-rust.wasm).
set -eu
if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)

# WAT is assembled by wasmtime's parser (no wabt needed), with one build of
# the assembler.
root=$(cd "$here/../.." && pwd)
wat2wasm="$out/.wat2wasm"
(cd "$root" && go build -o "$wat2wasm" ./test/apps/wat2wasm)
trap 'rm -f "$wat2wasm"' EXIT
wat() { (cd "$root" && "$wat2wasm" "$1" "$out/$2.wasm"); }
wat "$here/hello.wat" hello
# Binaries of other toolchains' shapes, from the wasip2 host's fixtures:
# Spin 2.0 and 2.1 (WASI 0.2 release candidates) and a TinyGo-shaped handler.
for app in rc-2023-10-18 rc-2023-11-10 tinygo-status; do
	wat "engine/wasip2/testdata/$app.wat" "$app"
done
# A Spin SDK 1.4/1.5-shaped (wit-bindgen 0.8) module, from the engine's fixture.
wat engine/testdata/spin-sdk14.wat spin-sdk14
# Runaway guests of the fault tests (test/e2e/fault_guest_test.go).
for name in spin-loop wagi-loop wagi-flood; do
	wat "$here/fault/$name.wat" "fault-$name"
done
# Trigger test guests: a Spin 1.x Redis handler and an MQTT handler component.
wat "$here/redis-spin1.wat" redis-spin1
wat "$here/mqtt-handler.wat" mqtt-handler
# An outbound MQTT publisher (fermyon:spin/mqtt@2.0.0), from the engine's fixture.
wat engine/testdata/components/outbound-mqtt.wat outbound-mqtt
# A component connecting over wasi:sockets TCP (test/e2e/sockets_test.go).
wat "$here/sockets-echo.wat" sockets-echo
cd "$here"
GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o "$out/spin-go.wasm" ./spin-go
GOOS=wasip1 GOARCH=wasm go build -o "$out/wagi-go.wasm" ./wagi-go
GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o "$out/spin-host.wasm" ./spin-host
GOOS=wasip1 GOARCH=wasm go build -o "$out/resource-go.wasm" ./resource-go
GOOS=wasip1 GOARCH=wasm go build -o "$out/command-go.wasm" ./command-go

"$here/spin-rust/build.sh" "$out/spin-rust.wasm"
