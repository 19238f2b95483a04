#!/bin/bash
# Parsing Nix against Nix 2.8, in the same run, on the auxcore package set
# (../shared/conformance/auxcore/src, ~1560 files, ~9 MB):
#
#   1. one nix-instantiate --parse per file vs one `govix parse --print` per
#      file: the fair comparison of the commands, start-up included
#      (target: govix at least 2x faster);
#   2. govix parsing (and printing) all files in one process, which shows
#      the parser itself without process start-up; also without printing.
#
# Times are CPU seconds (user + system) of all processes, which a loaded
# machine disturbs less than wall-clock time; wall-clock time is shown too.
# Each timing is the median of RUNS runs (default 3). FILES=N limits the run
# to the first N files; GOVIX=path uses that binary instead of building one.
#
#   bench/parse.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
src=$(cd ../shared/conformance/auxcore/src && pwd)
tmp=$(mktemp -d -p "${TMPDIR:-/tmp}" govix-parse-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

govix=${GOVIX:-}
if [ -z "$govix" ]; then
	# Not $tmp/govix: timed writes its results to $tmp/NAME.
	go build -o "$tmp/bin/govix" ./cmd/govix
	govix="$tmp/bin/govix"
fi
find "$src" -name '*.nix' | sort >"$tmp/files"
if [ -n "${FILES:-}" ]; then
	head -n "$FILES" "$tmp/files" >"$tmp/f" && mv "$tmp/f" "$tmp/files"
fi
nfiles=$(wc -l <"$tmp/files")
bytes=$(xargs cat <"$tmp/files" | wc -c)

# timed NAME CMD...: runs CMD RUNS times, prints "cpu wall" of the median
# run (by CPU time).
timed() {
	local name=$1
	shift
	for _ in $(seq "$runs"); do
		/usr/bin/time -o "$tmp/time" -f "%U %S %e" "$@" >/dev/null 2>"$tmp/stderr" || {
			cat "$tmp/stderr" >&2
			return 1
		}
		awk '{ printf "%.3f %.3f\n", $1 + $2, $3 }' "$tmp/time"
	done | sort -n | awk -v n="$runs" 'NR == int((n + 1) / 2)' >"$tmp/$name"
}

per_file() { # per_file CMD...: runs CMD FILE for each file
	while read -r f; do "$@" "$f"; done <"$tmp/files"
}
export -f per_file
export tmp

echo "parsing $nfiles files ($((bytes / 1024)) KiB), median of $runs runs"
timed nix bash -c 'per_file nix-instantiate --parse' _
timed govix bash -c "per_file $govix parse --print" _
timed govix1 bash -c "xargs $govix parse --print <$tmp/files"
timed govix0 bash -c "xargs $govix parse <$tmp/files"

read -r nix_cpu nix_wall <"$tmp/nix"
read -r g_cpu g_wall <"$tmp/govix"
read -r g1_cpu g1_wall <"$tmp/govix1"
read -r g0_cpu g0_wall <"$tmp/govix0"
printf '%-44s %9s %9s\n' "" "CPU s" "wall s"
printf '%-44s %9.2f %9.2f\n' "nix-instantiate --parse, one process/file" "$nix_cpu" "$nix_wall"
printf '%-44s %9.2f %9.2f\n' "govix parse --print, one process/file" "$g_cpu" "$g_wall"
printf '%-44s %9.2f %9.2f\n' "govix parse --print, all files in one" "$g1_cpu" "$g1_wall"
printf '%-44s %9.2f %9.2f\n' "govix parse, all files in one" "$g0_cpu" "$g0_wall"
awk -v n="$nix_cpu" -v g="$g_cpu" -v g1="$g1_cpu" -v g0="$g0_cpu" -v b="$bytes" 'BEGIN {
	printf "ratio govix/nix, one process per file: %.3f (CPU)\n", g / n
	printf "ratio govix/nix, govix in one process: %.4f (CPU)\n", g1 / n
	if (g1 > 0) printf "govix in one process: %.1f MB/s (parse and print, CPU)\n", b / g1 / 1e6
	if (g0 > 0) printf "govix in one process: %.1f MB/s (parse, CPU)\n", b / g0 / 1e6
}'
