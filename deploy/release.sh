#!/usr/bin/env bash
# release.sh VERSION COMMIT OUTDIR: builds static, stripped, -trimpath
# binaries of containerd-shim-spinoci-v1 (and its -server and -app) and
# spinoci for linux/amd64 and linux/arm64 (cgo: wasmtime-go ships
# libwasmtime.a for both; arm64 is cross-compiled with Debian's
# aarch64-linux-gnu-gcc; the shim binary itself is pure Go), packs each platform as
# OUTDIR/spinoci-VERSION-linux-ARCH.tar.gz (the binaries, LICENSE, README.md,
# CHANGELOG.md, deploy/) and writes OUTDIR/SHA256SUMS.
set -euo pipefail

version=${1:?usage: release.sh VERSION COMMIT OUTDIR}
commit=${2:?usage: release.sh VERSION COMMIT OUTDIR}
out=${3:?usage: release.sh VERSION COMMIT OUTDIR}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
buildinfo=github.com/spinoci/spinoci/cmd/internal/buildinfo

declare -A cc=([amd64]=x86_64-linux-gnu-gcc [arm64]=aarch64-linux-gnu-gcc)
if [[ $(go env GOHOSTARCH) == arm64 ]]; then
	cc=([amd64]=x86_64-linux-gnu-gcc [arm64]=gcc)
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/spinoci-*.tar.gz "$out/SHA256SUMS"
cd "$root"
for arch in amd64 arm64; do
	name=spinoci-$version-linux-$arch
	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage/$name/bin"
	for cmd in containerd-shim-spinoci-v1 containerd-shim-spinoci-v1/server containerd-shim-spinoci-v1/app spinoci; do
		bin=$(basename "$cmd")
		case $bin in server | app) bin=containerd-shim-spinoci-v1-$bin ;; esac
		echo "release: $bin linux/$arch"
		# The start action and the server are pure Go; only the app binary
		# and spinoci link C (wasmtime, the sandbox's constructor).
		if [ "$bin" = containerd-shim-spinoci-v1 ] || [ "$bin" = containerd-shim-spinoci-v1-server ]; then
			CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath \
				-ldflags "-s -w -X $buildinfo.version=$version -X $buildinfo.commit=$commit" \
				-o "$stage/$name/bin/$bin" "./cmd/$cmd"
			continue
		fi
		# netgo and osusergo keep glibc's NSS (dlopen at run time) out of the
		# static binaries; -static links glibc itself.
		CGO_ENABLED=1 GOOS=linux GOARCH=$arch CC=${cc[$arch]} go build -trimpath -tags netgo,osusergo \
			-ldflags "-s -w -X $buildinfo.version=$version -X $buildinfo.commit=$commit -linkmode external -extldflags -static" \
			-o "$stage/$name/bin/$bin" "./cmd/$cmd"
	done
	cp LICENSE README.md CHANGELOG.md "$stage/$name/"
	cp -r deploy "$stage/$name/deploy"
	rm -f "$stage/$name/deploy/release.sh"
	tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$out/$name.tar.gz" "$name"
	rm -rf "$stage"
	trap - EXIT
done
(cd "$out" && sha256sum spinoci-*.tar.gz >SHA256SUMS)
echo "release: $out"
ls -l "$out"
