#!/bin/sh
# build.sh OUTDIR: builds every test app into OUTDIR
# (hello.wasm, spin-go.wasm, wagi-go.wasm, spin-host.wasm, resource-go.wasm,
# redis-spin1.wasm, mqtt-handler.wasm, command-go.wasm).
set -eu
if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)

# WAT is assembled by wasmtime's parser (no wabt needed).
(cd "$here/../.." && go run ./test/apps/wat2wasm "$here/hello.wat" "$out/hello.wasm")
(cd "$here/../.." && go run ./test/apps/wat2wasm "$here/redis-spin1.wat" "$out/redis-spin1.wasm")
(cd "$here/../.." && go run ./test/apps/wat2wasm "$here/mqtt-handler.wat" "$out/mqtt-handler.wasm")
cd "$here"
GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o "$out/spin-go.wasm" ./spin-go
GOOS=wasip1 GOARCH=wasm go build -o "$out/wagi-go.wasm" ./wagi-go
GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o "$out/spin-host.wasm" ./spin-host
GOOS=wasip1 GOARCH=wasm go build -o "$out/resource-go.wasm" ./resource-go
GOOS=wasip1 GOARCH=wasm go build -o "$out/command-go.wasm" ./command-go
