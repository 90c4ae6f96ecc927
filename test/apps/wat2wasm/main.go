// Command wat2wasm assembles a WebAssembly text file (core module or
// component) into binary with wasmtime's own parser, so that building the
// test apps needs no wabt.
//
//	go run ./test/apps/wat2wasm IN.wat OUT.wasm
package main

import (
	"fmt"
	"os"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: wat2wasm IN.wat OUT.wasm")
		os.Exit(2)
	}
	if err := assemble(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintf(os.Stderr, "wat2wasm: %v\n", err)
		os.Exit(1)
	}
}

func assemble(in, out string) error {
	text, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	wasm, err := wasmtime.Wat2Wasm(string(text))
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, wasm, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
