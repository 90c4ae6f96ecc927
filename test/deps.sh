#!/usr/bin/env bash
# deps.sh: makes sure the programs that `make test` and `make demo` run are
# installed. As root on Debian it installs the missing ones with apt-get;
# otherwise it names the packages to install and fails. Go programs (containerd,
# ctr, crictl, the registry) are not here: `make tools` builds them.
set -euo pipefail

# command → Debian package
declare -A want=(
	[gcc]=gcc                                 # cgo (wasmtime, the nsenter constructor)
	[git]=git                                 # version stamping
	[ip]=iproute2                             # CRI tests: network namespaces
	[npm]=npm                                 # JavaScript component test apps (with nodejs)
	[node]=nodejs
	[/usr/lib/cni/bridge]=containernetworking-plugins # CRI tests: pod networks
	[redis-server]=redis-server               # Redis trigger and key-value tests
	[/usr/sbin/mosquitto]=mosquitto           # MQTT trigger tests (a daemon: in sbin)
	[/usr/share/doc/postgresql/copyright]=postgresql # Postgres tests (the metapackage; its programs are in /usr/lib/postgresql/*/bin)
	[/usr/sbin/mariadbd]=mariadb-server       # MySQL tests
	[/usr/bin/rustc]=rustc                    # the Rust test app (test/apps/spin-rust), with
	[/usr/lib/rustlib/wasm32-wasi]=libstd-rust-dev-wasm32 # its wasm32-wasi std
	[/usr/bin/lld-14]=lld-14                  # and rustc's wasm linker (rust-lld)
)
# Extra commands: "cmd" (from the Debian package of that name) or "cmd=package"
# (make bench: DEPS_EXTRA="runc wrk"); a cmd starting with / is a file the
# package installs.
extra=${DEPS_EXTRA:-}

missing=()
for cmd in "${!want[@]}"; do
	if [[ $cmd == /* ]]; then
		[[ -e $cmd ]] || missing+=("${want[$cmd]}")
	elif ! command -v "$cmd" >/dev/null 2>&1; then
		missing+=("${want[$cmd]}")
	fi
done
for item in $extra; do
	cmd=${item%%=*}
	if [[ $cmd == /* ]]; then
		[[ -e $cmd ]] || missing+=("${item#*=}")
	elif ! command -v "$cmd" >/dev/null 2>&1; then
		missing+=("${item#*=}")
	fi
done
# libc headers for cgo
[[ -e /usr/include/stdio.h ]] || missing+=(libc6-dev)
[[ -e /etc/ssl/certs/ca-certificates.crt ]] || missing+=(ca-certificates)

if ((${#missing[@]} == 0)); then
	exit 0
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: missing packages: ${missing[*]} (install them, e.g. apt-get install ${missing[*]})" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
