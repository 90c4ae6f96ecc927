#!/usr/bin/env bash
# fuzz.sh FUZZTIME PKG:FuzzName...: runs each Go fuzz target for FUZZTIME.
#
# Go 1.26's fuzzing coordinator can fail a target that found nothing: when a
# duration -fuzztime runs out while a worker is mid-call, it reports "context
# deadline exceeded" (go.dev/issue/75804, fixed in Go 1.27). Such a run writes
# no failing input, so a target whose run failed with that message alone, and
# wrote nothing under testdata/fuzz/, is run once more; any other failure, or
# the same one twice, fails.
set -euo pipefail

fuzztime=$1
shift
go=${GO:-go}

# deadline_race LOG: true when the run's only failure is the coordinator's
# deadline race.
deadline_race() {
	grep -q '^    context deadline exceeded$' "$1" &&
		! grep -q -e 'Failing input written to' -e '^panic:' -e '_test\.go:[0-9]*:' "$1"
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT

for target in "$@"; do
	pkg=${target%%:*} name=${target##*:}
	for attempt in 1 2; do
		echo "=== $pkg $name ($fuzztime)"
		if "$go" test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" 2>&1 | tee "$log"; then
			break
		fi
		if [[ $attempt == 1 ]] && deadline_race "$log"; then
			echo "=== $name: failed only by Go's -fuzztime deadline race (no input written); running it again"
			continue
		fi
		exit 1
	done
done
