#!/usr/bin/env bash
# Times govix's NAR hashing against Nix 2.8 on a large real tree (the Go
# toolchain's GOROOT by default, ~270 MB in 17k files), in the same run,
# alternating the two so that both see the same machine:
#
#   govix hash path --type sha256 TREE       vs  nix-hash --type sha256 TREE
#   govix nar dump TREE | sha256sum          vs  nix-store --dump TREE | sha256sum
#
# with the page cache warm, and (when this user may drop the page cache)
# cold. Prints minimum and median wall times, their ratios, and the peak
# RSS of each command (/usr/bin/time -v), which stays flat for govix because
# it streams.
#
#   bench/hash.sh [TREE] [ROUNDS]      (GOVIX=path/to/govix to time a given binary)
#
# Other work on the machine swings the timings: BENCH_RT=1 (as root) runs
# both sides at a real-time priority (chrt -f 10), as bench/store.sh and
# bench/castore-fuse.sh do, which measures what an idle machine would show.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=${1:-$(go env GOROOT)}
rounds=${2:-15}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rt=""
if [ "${BENCH_RT:-}" = 1 ]; then rt="chrt -f 10"; fi

if [ ! -x /usr/bin/time ]; then
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get install -y -qq time >/dev/null
fi
# GOVIX may name a govix binary to time; by default this tree's is built.
govix=${GOVIX:-$tmp/govix}
[ -n "${GOVIX:-}" ] || go build -o "$govix" ./cmd/govix

echo "tree: $tree ($(du -sh "$tree" | cut -f1), $(find "$tree" | wc -l) entries), $rounds rounds, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)${rt:+, real-time priority (BENCH_RT=1)}"

# Same answers, or the timings mean nothing.
want=$(nix-hash --type sha256 "$tree")
got=$("$govix" hash path --type sha256 --base16 "$tree")
[ "$got" = "$want" ] || { echo "hashes differ: govix $got, nix $want" >&2; exit 1; }
want=$(nix-store --dump "$tree" | sha256sum)
got=$("$govix" nar dump "$tree" | sha256sum)
[ "$got" = "$want" ] || { echo "archives differ" >&2; exit 1; }

ms() { echo $(($(date +%s%N) / 1000000)); }
can_drop() { [ -w /proc/sys/vm/drop_caches ]; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }

# measure NAME COLD CMD: one timed run of CMD (a shell string), in ms,
# appended to $tmp/NAME.
measure() {
	local name=$1 cold=$2 cmd=$3 start end
	[ "$cold" = cold ] && drop
	start=$(ms)
	$rt sh -c "$cmd" >/dev/null
	end=$(ms)
	echo $((end - start)) >>"$tmp/$name"
}

stats() { # file → "min median"
	sort -n "$1" | awk '{a[NR]=$1} END {printf "%d %d", a[1], a[int((NR+1)/2)]}'
}

compare() { # label cold rounds govix-cmd nix-cmd
	local label=$1 cold=$2 n=$3 gcmd=$4 ncmd=$5 i
	rm -f "$tmp/g" "$tmp/n"
	for i in $(seq "$n"); do
		measure g "$cold" "$gcmd"
		measure n "$cold" "$ncmd"
	done
	read -r gmin gmed <<<"$(stats "$tmp/g")"
	read -r nmin nmed <<<"$(stats "$tmp/n")"
	printf '%-34s govix %5d ms (median %5d)   nix %5d ms (median %5d)   ratio %.2f (median %.2f)\n' \
		"$label" "$gmin" "$gmed" "$nmin" "$nmed" "$(echo "$gmin / $nmin" | bc -l)" "$(echo "$gmed / $nmed" | bc -l)"
}

hash_g="'$govix' hash path --type sha256 '$tree'"
hash_n="nix-hash --type sha256 '$tree'"
dump_g="'$govix' nar dump '$tree' | sha256sum"
dump_n="nix-store --dump '$tree' | sha256sum"

# Warm the cache.
sh -c "$hash_n" >/dev/null
sh -c "$hash_g" >/dev/null

echo "== warm page cache (min of $rounds)"
compare "hash path vs nix-hash" warm "$rounds" "$hash_g" "$hash_n"
compare "nar dump|sha256sum vs nix-store" warm "$rounds" "$dump_g" "$dump_n"

if can_drop; then
	echo "== cold page cache (min of 3)"
	compare "hash path vs nix-hash" cold 3 "$hash_g" "$hash_n"
	compare "nar dump|sha256sum vs nix-store" cold 3 "$dump_g" "$dump_n"
else
	echo "== cold page cache: skipped (cannot write /proc/sys/vm/drop_caches)"
fi

echo "== peak RSS"
rss() { /usr/bin/time -v sh -c "$1" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'; }
# The pipelines' RSS is the shell's largest child: the dumper.
printf '%-34s govix %6d KB   nix %6d KB\n' "hash path vs nix-hash" "$(rss "exec $hash_g")" "$(rss "exec $hash_n")"
printf '%-34s govix %6d KB   nix %6d KB\n' "nar dump vs nix-store --dump" \
	"$(rss "exec '$govix' nar dump '$tree' >/dev/null")" "$(rss "exec nix-store --dump '$tree' >/dev/null")"
# Memory does not grow with file size: a 2 GiB file (sparse, so cheap).
truncate -s 2G "$tmp/big"
printf '%-34s govix %6d KB   nix %6d KB\n' "hash path of a 2 GiB file" \
	"$(rss "exec '$govix' hash path '$tmp/big'")" "$(rss "exec nix-hash --type sha256 '$tmp/big'")"
