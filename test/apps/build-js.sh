#!/usr/bin/env bash
# Builds the JavaScript component test apps (test/apps/js-*/: npm projects
# with a committed package-lock.json) into OUTDIR/<name>.wasm with the Spin
# JS toolchain of the Spin 3 templates: `npm ci`, an esbuild bundle, then
# `j2w` (componentize-js). A build is skipped when OUTDIR/<name>.wasm is newer
# than every source file of the app; `rm -rf build dist` (or the output)
# forces one. Needs node and npm (node 20 is on the CI machine).
set -euo pipefail

out=${1:?usage: build-js.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

for app in "$here"/js-*/; do
	app=${app%/}
	name=$(basename "$app")
	target="$out/$name.wasm"
	if [[ -f $target ]] && [[ -z $(find "$app" -path "$app/node_modules" -prune -o -path "$app/build" -prune \
		-o -path "$app/dist" -prune -o -type f -newer "$target" -print -quit) ]]; then
		echo "build-js: $name is up to date"
		continue
	fi
	echo "build-js: building $name"
	(
		cd "$app"
		# An app may set NPM_CI_FLAGS and J2W_ARGS (an array) in build.env.
		NPM_CI_FLAGS=${NPM_CI_FLAGS:-}
		J2W_ARGS=()
		if [[ -f build.env ]]; then
			# shellcheck source=/dev/null
			source build.env
		fi
		# node_modules is reused while it matches the lockfile.
		if [[ ! -f node_modules/.package-lock.json ]] || ! cmp -s <(sed -n '/"packages"/,$p' package-lock.json | tail -n +2) \
			<(sed -n '/"packages"/,$p' node_modules/.package-lock.json | tail -n +2) >/dev/null 2>&1; then
			npm ci --no-audit --no-fund --loglevel=error ${NPM_CI_FLAGS}
		fi
		rm -rf build dist
		node build.mjs
		mkdir -p dist
		npx --no-install j2w -i build/bundle.js "${J2W_ARGS[@]}" -o dist/app.wasm
		# j2w exits 0 even when it fails: the output must exist.
		if [[ ! -s dist/app.wasm ]]; then
			echo "build-js: $name: j2w produced no dist/app.wasm" >&2
			exit 1
		fi
	)
	cp "$app/dist/app.wasm" "$target.tmp"
	mv "$target.tmp" "$target"
done
