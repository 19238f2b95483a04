#!/bin/sh
# The evaluation benchmark of ../shared/conformance/auxcore: the drvPaths of
# 520 packages (nixpkgs' lib, the Linux stdenv bootstrap and the package
# set), evaluated by govix and by Nix 2.8 in the same run, RUNS times each
# (default 5, interleaved), medians reported. Both results must be the 520 drvPaths of x86_64-linux.tsv.
#
#   govix:  govix instantiate --eval --strict --json -E EXPR
#           (read-only, as nix-instantiate --eval: drvPaths are computed,
#           nothing is written)
#   govix-rw: the same with --read-write-mode into a store of its own that
#           already holds the derivations (from an unmeasured first run)
#   nix:    nix-instantiate --eval --strict --json --read-write-mode
#           --store DIR -E EXPR, with DIR warmed by an unmeasured first run
#           (Nix 2.8 cannot evaluate this in read-only mode: it needs the
#           .drv files it writes to compute closures)
#
# Prints CPU time (user+sys), wall time and peak RSS for each, the ratios
# govix/Nix (below 1.0 means govix is cheaper) and, with ALLOCS=1, govix's
# total allocation from a heap profile.
#
# usage: bench/eval-auxcore.sh [GOVIX]
set -eu
cd "$(dirname "$0")/.."
govix=${1:-./govix}
if [ ! -x "$govix" ]; then go build -o ./govix ./cmd/govix; govix=./govix; fi
aux=$(cd ../shared/conformance/auxcore && pwd)
runs=${RUNS:-5}
expr="import $aux/all-drvpaths.nix { core = $aux/src; }"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export GOVIX_HOME="$tmp/govix"

# check FILE: the JSON result must hold the expected 520 drvPaths.
check() {
	python3 - "$1" "$aux/x86_64-linux.tsv" <<'EOF'
import json, sys
got = json.load(open(sys.argv[1]))
want = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[2]))
bad = [k for k in want if got.get(k) != want[k]]
if bad or len(got) != len(want):
    sys.exit("%s: %d of %d drvPaths differ (first: %s)" % (sys.argv[1], len(bad), len(want), bad[:3]))
EOF
}

# median LIST...: the median of the numbers given.
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

# measure NAME CMD...: one run; its CPU seconds, wall seconds and peak MB
# are added to NAME's lists.
measure() {
	name=$1; shift
	/usr/bin/time -o "$tmp/time" -f "%U %S %e %M" "$@" >"$tmp/$name.json" 2>"$tmp/$name.err" ||
		{ cat "$tmp/$name.err" >&2; exit 1; }
	check "$tmp/$name.json"
	out=$(tail -1 "$tmp/time")
	echo "$out" | awk '{printf "%.2f\n", $1 + $2}' >>"$tmp/$name.cpu"
	echo "$out" | awk '{printf "%.2f\n", $3}' >>"$tmp/$name.wall"
	echo "$out" | awk '{printf "%.0f\n", $4 / 1024}' >>"$tmp/$name.rss"
}

# median NAME.KIND: the median of the numbers in that list.
median() { sort -n "$tmp/$1" | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

# Warm the stores that are written to.
nix-instantiate --eval --strict --json --read-write-mode --store "$tmp/nix" -E "$expr" >/dev/null 2>&1
"$govix" instantiate --eval --strict --json --read-write-mode -E "$expr" >/dev/null

# Interleaved, so that a busy moment of a shared machine hits all three.
i=0
while [ $i -lt "$runs" ]; do
	measure govix "$govix" instantiate --eval --strict --json -E "$expr"
	measure govixrw "$govix" instantiate --eval --strict --json --read-write-mode -E "$expr"
	measure nix nix-instantiate --eval --strict --json --read-write-mode --store "$tmp/nix" -E "$expr"
	i=$((i + 1))
done
for n in govix govixrw nix; do
	eval "${n}_cpu=$(median $n.cpu) ${n}_wall=$(median $n.wall) ${n}_rss=$(median $n.rss)"
done

ratio() { echo "scale=2; $1 / $2" | bc; }
printf "%-10s %8s %8s %8s\n" "" "cpu-s" "wall-s" "peak-MB"
printf "%-10s %8s %8s %8s\n" govix "$govix_cpu" "$govix_wall" "$govix_rss"
printf "%-10s %8s %8s %8s\n" govix-rw "$govixrw_cpu" "$govixrw_wall" "$govixrw_rss"
printf "%-10s %8s %8s %8s\n" nix "$nix_cpu" "$nix_wall" "$nix_rss"
printf "%-10s %8s %8s %8s\n" "ratio" "$(ratio "$govix_cpu" "$nix_cpu")" "$(ratio "$govix_wall" "$nix_wall")" "$(ratio "$govix_rss" "$nix_rss")"
printf "%-10s %8s %8s %8s\n" "ratio-rw" "$(ratio "$govixrw_cpu" "$nix_cpu")" "$(ratio "$govixrw_wall" "$nix_wall")" "$(ratio "$govixrw_rss" "$nix_rss")"

if [ "${ALLOCS:-0}" = 1 ]; then
	GOVIX_CPUPROFILE="$tmp/cpu.pprof" GOVIX_MEMPROFILE="$tmp/mem.pprof" \
		"$govix" instantiate --eval --strict --json -E "$expr" >/dev/null
	echo "govix allocations:"
	go tool pprof -sample_index=alloc_space -top "$tmp/mem.pprof" 2>/dev/null | grep -m1 'total'
	go tool pprof -sample_index=alloc_objects -top "$tmp/mem.pprof" 2>/dev/null | grep -m1 'total'
fi
