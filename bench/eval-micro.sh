#!/bin/sh
# Evaluation micro-benchmarks: each bench/eval/*.nix evaluated by govix and
# by Nix 2.8 (`nix-instantiate --eval --strict`) in the same run, RUNS
# times each (default 5, alternating). Prints the median CPU time
# (user+sys) and peak RSS of both and the ratios govix/Nix (below 1.0 means
# govix is cheaper).
#
# usage: bench/eval-micro.sh [GOVIX] [FILE.nix...]
set -eu
cd "$(dirname "$0")/.."
govix=${1:-./govix}
[ $# -gt 0 ] && shift
if [ ! -x "$govix" ]; then go build -o ./govix ./cmd/govix; govix=./govix; fi
files=${*:-$(ls bench/eval/*.nix)}
runs=${RUNS:-5}
tmp=$(mktemp); trap 'rm -f "$tmp" "$tmp".*' EXIT

# once CMD...: one run; appends its CPU seconds and peak KB to $tmp.NAME.
once() {
	name=$1; shift
	/usr/bin/time -o "$tmp" -f "%U %S %M" "$@" >/dev/null 2>&1
	tail -1 "$tmp" | awk '{printf "%.2f\n", $1 + $2}' >>"$tmp.$name.cpu"
	tail -1 "$tmp" | awk '{print $3}' >>"$tmp.$name.rss"
}

# median FILE: the median of the numbers in FILE.
median() { sort -n "$1" | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

printf "%-22s %10s %10s %7s %10s %10s %7s\n" benchmark "govix-cpu" "nix-cpu" ratio "govix-MB" "nix-MB" ratio
for f in $files; do
	want=$(nix-instantiate --eval --strict "$f" 2>/dev/null)
	got=$("$govix" instantiate --eval --strict "$f" 2>/dev/null)
	if [ "$want" != "$got" ]; then
		echo "$(basename "$f" .nix): govix gives a different result" >&2
		exit 1
	fi
	rm -f "$tmp".*
	i=0
	while [ $i -lt "$runs" ]; do
		once g "$govix" instantiate --eval --strict "$f"
		once n nix-instantiate --eval --strict "$f"
		i=$((i + 1))
	done
	g_cpu=$(median "$tmp.g.cpu"); g_rss=$(median "$tmp.g.rss")
	n_cpu=$(median "$tmp.n.cpu"); n_rss=$(median "$tmp.n.rss")
	printf "%-22s %9.2fs %9.2fs %7.2f %9.1fM %9.1fM %7.2f\n" "$(basename "$f" .nix)" \
		"$g_cpu" "$n_cpu" "$(echo "scale=4; $g_cpu / ($n_cpu + 0.0001)" | bc)" \
		"$(echo "scale=1; $g_rss / 1024" | bc)" "$(echo "scale=1; $n_rss / 1024" | bc)" \
		"$(echo "scale=4; $g_rss / $n_rss" | bc)"
done
