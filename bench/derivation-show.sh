#!/bin/sh
# Times `govix derivation show` against Nix 2.8's `nix show-derivation` on
# every derivation in the closure of auxcore's bash (~150 .drv files), in
# the same run, and prints the ratio. Both read the same files; Nix through
# a chroot store, govix directly.
#
#   bench/derivation-show.sh [ROUNDS]
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/govix" ./cmd/govix
nix-instantiate --store "$tmp/s" ../shared/conformance/auxcore/src -A bash >/dev/null 2>&1
files=$(ls "$tmp"/s/nix/store/*.drv)
paths=$(for f in $files; do echo "/nix/store/${f##*/}"; done)
echo "$(echo "$files" | wc -l) derivations, $rounds rounds each"

now() { date +%s.%N; }
time_it() { # command... → seconds for $rounds runs
	start=$(now)
	i=0
	while [ $i -lt "$rounds" ]; do
		"$@" >/dev/null
		i=$((i + 1))
	done
	echo "$(now) - $start" | bc
}

# shellcheck disable=SC2086
nix=$(time_it nix --experimental-features nix-command --store "$tmp/s" show-derivation $paths)
# shellcheck disable=SC2086
govix=$(time_it "$tmp/govix" derivation show $files)

# Same output, or the timing means nothing.
# shellcheck disable=SC2086
nix --experimental-features nix-command --store "$tmp/s" show-derivation $paths >"$tmp/nix.json"
# shellcheck disable=SC2086
"$tmp/govix" derivation show $files >"$tmp/govix.json"
cmp -s "$tmp/nix.json" "$tmp/govix.json" || { echo "outputs differ" >&2; exit 1; }

printf 'nix show-derivation   %6.3f s per run\n' "$(echo "$nix / $rounds" | bc -l)"
printf 'govix derivation show %6.3f s per run\n' "$(echo "$govix / $rounds" | bc -l)"
printf 'ratio govix/nix       %6.2f\n' "$(echo "$govix / $nix" | bc -l)"
