#!/usr/bin/env bash
# release-check.sh DIST VERSION COMMIT: checks what `make release` wrote to DIST.
#   - SHA256SUMS matches the tarballs;
#   - each tarball holds the four binaries, static executables of its
#     architecture, each reporting VERSION and COMMIT;
#   - the host architecture's binaries pass the end-to-end tests named by
#     RELEASE_E2E (a go test -run pattern) against the pinned containerd;
#   - the other architecture's binaries run under qemu-user (Debian's
#     qemu-user-static): its server, app binary (its constructor, static
#     glibc and Go runtime) and spinoci report the same. Its engine does not
#     run there: Wasmtime's instance pool reserves terabytes of address
#     space, which qemu-user keeps page tables of its own for (it ran the
#     machine out of memory).
# The end-to-end tests take SPINOCI_APPS_DIR and SPINOCI_TOOLS_DIR from the
# environment (the Makefile's E2E_ENV) and need root.
set -euo pipefail

dist=${1:?usage: release-check.sh DIST VERSION COMMIT}
version=${2:?usage: release-check.sh DIST VERSION COMMIT}
commit=${3:?usage: release-check.sh DIST VERSION COMMIT}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
e2e=${RELEASE_E2E:-^(TestSpinApp|TestSandboxCtr|TestContainerEnvNeverReachesTheLoader|TestComponents|TestCLIRoundTrip)$}
binaries=(containerd-shim-spinoci-v1 containerd-shim-spinoci-v1-server containerd-shim-spinoci-v1-app spinoci)

fail() {
	echo "release check: $*" >&2
	exit 1
}

host=$(go env GOHOSTARCH)
case $host in
amd64) other=arm64 qemu=qemu-aarch64-static machine_other=AArch64 machine_host=X86-64 ;;
arm64) other=amd64 qemu=qemu-x86_64-static machine_other=X86-64 machine_host=AArch64 ;;
*) fail "no release for the host architecture $host" ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$dist" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match the tarballs in $dist"

# unpack ARCH MACHINE: the tarball's binaries into $work/ARCH, checked to be
# static executables for MACHINE (readelf's name for it).
unpack() {
	local arch=$1 machine=$2 name=spinoci-$version-linux-$1
	local tarball=$dist/$name.tar.gz
	[[ -f $tarball ]] || fail "missing $tarball"
	mkdir -p "$work/$arch"
	tar -C "$work/$arch" -xzf "$tarball"
	for bin in "${binaries[@]}"; do
		local path=$work/$arch/$name/bin/$bin
		[[ -x $path ]] || fail "$name.tar.gz lacks bin/$bin"
		readelf -h "$path" | grep -q "Machine:.*$machine" || fail "$name/bin/$bin is not an executable for $machine"
		if readelf -l "$path" | grep -q INTERP; then
			fail "$name/bin/$bin is dynamically linked"
		fi
	done
	echo "$work/$arch/$name/bin"
}

# versions DIR BIN... [-- RUNNER...]: each BIN in DIR, run by RUNNER (none,
# or qemu), reports the version and the commit.
versions() {
	local dir=$1 bins=() runner=()
	shift
	while (($#)) && [[ $1 != -- ]]; do
		bins+=("$1")
		shift
	done
	(($#)) && shift && runner=("$@")
	for bin in "${bins[@]}"; do
		local out
		out=$("${runner[@]}" "$dir/$bin" --version 2>&1) || fail "$bin --version: $out"
		[[ $out == *"$version"* && $out == *"$commit"* ]] || fail "$bin --version does not report $version ($commit): $out"
	done
}

hostbin=$(unpack "$host" "$machine_host")
versions "$hostbin" "${binaries[@]}"
echo "release check: linux/$host binaries are static and report $version"

otherbin=$(unpack "$other" "$machine_other")
command -v "$qemu" >/dev/null || fail "$qemu not found: apt-get install qemu-user-static"
# The shim's --version runs the server binary, which would run natively:
# the others report themselves.
versions "$otherbin" containerd-shim-spinoci-v1-server containerd-shim-spinoci-v1-app spinoci -- "$qemu"
echo "release check: linux/$other binaries are static and report $version (under $qemu)"

cd "$root"
SPINOCI_SHIM=$hostbin/containerd-shim-spinoci-v1 SPINOCI_CLI=$hostbin/spinoci \
	go test -count=1 -timeout 30m -run "$e2e" ./test/e2e/
echo "release check: linux/$host binaries passed the end-to-end tests $e2e"
