#!/bin/sh
# Evaluation micro-benchmarks: each bench/eval/*.nix evaluated by govix and
# by Nix 2.8 (`nix-instantiate --eval --strict`) in the same run, best of
# RUNS (default 3). Prints CPU time (user+sys) and peak RSS for both and the
# ratios govix/Nix (below 1.0 means govix is cheaper).
#
# usage: bench/eval-micro.sh [GOVIX] [FILE.nix...]
set -eu
cd "$(dirname "$0")/.."
govix=${1:-./govix}
[ $# -gt 0 ] && shift
if [ ! -x "$govix" ]; then go build -o ./govix ./cmd/govix; govix=./govix; fi
files=${*:-$(ls bench/eval/*.nix)}
runs=${RUNS:-3}
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT

# measure CMD...: best CPU seconds and peak KB over $runs runs.
measure() {
	best_cpu=""; best_rss=""
	i=0
	while [ $i -lt "$runs" ]; do
		/usr/bin/time -o "$tmp" -f "%U %S %M" "$@" >/dev/null 2>&1
		out=$(tail -1 "$tmp")
		cpu=$(echo "$out" | awk '{printf "%.2f", $1 + $2}')
		rss=$(echo "$out" | awk '{print $3}')
		if [ -z "$best_cpu" ] || [ "$(echo "$cpu < $best_cpu" | bc)" = 1 ]; then best_cpu=$cpu; fi
		if [ -z "$best_rss" ] || [ "$rss" -lt "$best_rss" ]; then best_rss=$rss; fi
		i=$((i + 1))
	done
}

printf "%-22s %10s %10s %7s %10s %10s %7s\n" benchmark "govix-cpu" "nix-cpu" ratio "govix-MB" "nix-MB" ratio
for f in $files; do
	want=$(nix-instantiate --eval --strict "$f" 2>/dev/null)
	got=$("$govix" instantiate --eval --strict "$f" 2>/dev/null)
	if [ "$want" != "$got" ]; then
		echo "$(basename "$f" .nix): govix gives a different result" >&2
		exit 1
	fi
	measure "$govix" instantiate --eval --strict "$f"; g_cpu=$best_cpu; g_rss=$best_rss
	measure nix-instantiate --eval --strict "$f"; n_cpu=$best_cpu; n_rss=$best_rss
	printf "%-22s %9.2fs %9.2fs %7.2f %9.1fM %9.1fM %7.2f\n" "$(basename "$f" .nix)" \
		"$g_cpu" "$n_cpu" "$(echo "scale=4; $g_cpu / ($n_cpu + 0.0001)" | bc)" \
		"$(echo "scale=1; $g_rss / 1024" | bc)" "$(echo "scale=1; $n_rss / 1024" | bc)" \
		"$(echo "scale=4; $g_rss / $n_rss" | bc)"
done
