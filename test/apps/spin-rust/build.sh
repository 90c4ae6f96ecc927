#!/bin/sh
# build.sh OUT.wasm: builds the Rust Spin 1.x test app (lib.rs, plain std, no
# crates) as `cargo build --release` of a cdylib would: opt-level 3, not
# stripped (std's debug info stays in custom sections, as in real Rust Spin
# modules). It uses the first rustc of $RUSTC, rustc on PATH and
# /usr/bin/rustc (Debian's) that has the WASI standard library.
set -eu
if [ $# -ne 1 ]; then
	echo "usage: $0 OUT.wasm" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)

for rustc in ${RUSTC:-} rustc /usr/bin/rustc; do
	command -v "$rustc" >/dev/null 2>&1 || continue
	sysroot=$("$rustc" --print sysroot) || continue
	# wasm32-wasi was renamed wasm32-wasip1 (Rust 1.78; the old name went in 1.84).
	for target in wasm32-wasi wasm32-wasip1; do
		if [ -d "$sysroot/lib/rustlib/$target/lib" ]; then
			if "$rustc" --edition 2021 --crate-name spin_rust --crate-type cdylib \
				--target "$target" -C opt-level=3 -o "$1" "$here/lib.rs"; then
				exit 0
			fi
			echo "$0: $rustc --target $target failed on $here/lib.rs" \
				"(Debian's rustc links wasm with rust-lld, from lld-14)" >&2
			exit 1
		fi
	done
done
echo "$0: no rustc with the wasm32-wasi standard library (looked at: ${RUSTC:+$RUSTC, }rustc, /usr/bin/rustc);" \
	"install it: apt-get install rustc libstd-rust-dev-wasm32 lld-14 (Debian), or rustup target add wasm32-wasip1" >&2
exit 1
