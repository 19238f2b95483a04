#!/bin/bash
# castore against Nix 2.8 on the Go toolchain tree (GOROOT, ~270 MB in ~15k
# files), in the same run:
#
#   1. govix castore import into a fresh embedded store vs
#      nix-store --store FRESH --add            (target: ratio <= 0.5)
#   2. importing the same tree again vs the first import (target <= 0.3)
#   3. a second tree sharing 90% of the files (a copy of GOROOT with every
#      tenth file changed): how much the store grows (target <= 15%)
#   4. govix castore export vs cp -a of the tree (target: ratio <= 1.0),
#      from a warm and from a cold page cache
#   5. peak RSS of an import of GOROOT and of a tree three times its size
#      (flat in the tree's size)
#
# Each timing is the median of RUNS runs (default 3), the tools taking turns.
# Before each timed run the input is read once (tar > /dev/null) so both
# tools start from the page cache: this measures the tools, not the disk,
# whose speed on a shared machine varies from one run to the next.
#
#   bench/castore.sh [TREE]        (default: $(go env GOROOT))
set -euo pipefail
cd "$(dirname "$0")/.."
tree=${1:-$(go env GOROOT)}
runs=${RUNS:-3}
tmp=$(mktemp -d -p "${TMPDIR:-/tmp}" castore-bench.XXXXXX)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

go build -o "$tmp/govix" ./cmd/govix
govix="$tmp/govix"
warm() { tar -cf - "$@" 2>/dev/null | cat >/dev/null; }
clean() { chmod -R u+w "$@" 2>/dev/null || true; rm -rf "$@"; }

# timed OUT CMD...: runs CMD, appends "seconds peakKB" to OUT.
timed() {
	local out=$1
	shift
	sync
	/usr/bin/time -o "$tmp/time" -f "%e %M" "$@" >"$tmp/stdout" 2>"$tmp/stderr" || {
		cat "$tmp/stderr" >&2
		return 1
	}
	tail -1 "$tmp/time" >>"$out"
}
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
maxrss() { awk 'BEGIN{m=0} $2>m{m=$2} END{print int(m/1024)}' "$1"; }
ratio() { echo "$1 $2" | awk '{printf "%.2f", $1/$2}'; }

size_mb=$(du -sm "$tree" | cut -f1)
nfiles=$(find "$tree" -type f | wc -l)
echo "tree: $tree ($size_mb MB, $nfiles files); median of $runs runs"

# 1 and 2: first and second import, nix-store --add.
: >"$tmp/t.nix"
: >"$tmp/t.first"
: >"$tmp/t.second"
for i in $(seq "$runs"); do
	clean "$tmp/nixstore" "$tmp/store"
	warm "$tree"
	timed "$tmp/t.nix" nix-store --store "$tmp/nixstore" --add "$tree"
	clean "$tmp/nixstore"
	warm "$tree"
	timed "$tmp/t.first" "$govix" --store "$tmp/store" castore import "$tree"
	digest=$(cat "$tmp/stdout")
	warm "$tree"
	timed "$tmp/t.second" "$govix" --store "$tmp/store" castore import "$tree"
	[ "$(cat "$tmp/stdout")" = "$digest" ] || { echo "second import gave another digest" >&2; exit 1; }
done
nix=$(median "$tmp/t.nix")
first=$(median "$tmp/t.first")
second=$(median "$tmp/t.second")
printf '%-44s %7.2f s\n' "nix-store --add (fresh store)" "$nix"
printf '%-44s %7.2f s   ratio to nix %s (target <= 0.5)\n' "govix castore import (fresh store)" "$first" "$(ratio "$first" "$nix")"
printf '%-44s %7.2f s   ratio to first %s (target <= 0.3)\n' "govix castore import again" "$second" "$(ratio "$second" "$first")"

# 3: a tree sharing 90% of its files.
cp -a "$tree" "$tmp/tree2"
chmod -R u+w "$tmp/tree2"
find "$tmp/tree2" -type f | sort | awk 'NR % 10 == 0' >"$tmp/changed"
while IFS= read -r f; do printf 'changed\n' >>"$f"; done <"$tmp/changed"
before=$(du -sb "$tmp/store" | cut -f1)
"$govix" --store "$tmp/store" castore import "$tmp/tree2" >/dev/null
after=$(du -sb "$tmp/store" | cut -f1)
growth=$(echo "$before $after" | awk '{printf "%.1f", 100 * ($2 - $1) / $1}')
printf '%-44s %7s MB -> %s MB: +%s%% (target <= 15%%; %d of %d files changed)\n' "store after a tree sharing 90% of files" \
	"$((before / 1000000))" "$((after / 1000000))" "$growth" "$(wc -l <"$tmp/changed")" "$nfiles"

# 4: export vs cp -a, warm: both read from the page cache. Each run writes
# under a new name and the outputs are deleted only after the last run: on
# ext4 without a journal (as on the test machines) the inode allocator steps
# over every inode freed in the last 30 s on each create, so a run right
# after deleting the previous run's 15k files measured that scan, not the
# tool (3 to 10 s of system time instead of 0.6 s, at random). For the
# same reason the runs start once the trees deleted above are 35 s old, and
# the outputs go in a directory marked as a top of directory hierarchies
# (chattr +T), whose subdirectories ext4 places in lightly used block
# groups, away from the churn of everyone's temporary files. The tools take
# turns, and their CPU time (user + system) is compared too: on a shared
# machine wall time is mostly waiting for a CPU.
sleep "${SETTLE:-35}"
mkdir "$tmp/out"
chattr +T "$tmp/out" 2>/dev/null || true
: >"$tmp/t.cp"
: >"$tmp/t.export"
: >"$tmp/c.cp"
: >"$tmp/c.export"
# timedcpu OUT CPUOUT CMD...: as timed, and appends user+system seconds to CPUOUT.
timedcpu() {
	local out=$1 cpu=$2
	shift 2
	/usr/bin/time -o "$tmp/time" -f "%e %M %U %S" "$@" >"$tmp/stdout" 2>"$tmp/stderr" || {
		cat "$tmp/stderr" >&2
		return 1
	}
	tail -1 "$tmp/time" | awk '{print $1, $2}' >>"$out"
	tail -1 "$tmp/time" | awk '{print $3 + $4}' >>"$cpu"
}
export_run() { timedcpu "$tmp/t.export" "$tmp/c.export" "$govix" --store "$tmp/store" castore export "$digest" "$1"; }
cp_run() { timedcpu "$tmp/t.cp" "$tmp/c.cp" cp -a "$tree" "$1"; }
for i in $(seq "$runs"); do
	warm "$tree"
	warm "$tmp/store"
	sync
	if ((i % 2)); then
		cp_run "$tmp/out/cp-$i"
		export_run "$tmp/out/govix-$i"
	else
		export_run "$tmp/out/govix-$i"
		cp_run "$tmp/out/cp-$i"
	fi
done
diff -r "$tree" "$tmp/out/govix-1" >/dev/null || { echo "export differs from the tree" >&2; exit 1; }
cpt=$(median "$tmp/t.cp")
ext=$(median "$tmp/t.export")
cpc=$(median "$tmp/c.cp")
exc=$(median "$tmp/c.export")
printf '%-44s %7.2f s   (CPU %.2f s)\n' "cp -a" "$cpt" "$cpc"
printf '%-44s %7.2f s   (CPU %.2f s)   ratio to cp -a %s (target <= 1.0), CPU %s\n' "govix castore export" "$ext" "$exc" "$(ratio "$ext" "$cpt")" "$(ratio "$exc" "$cpc")"

# 4b: the same from a cold page cache: before each run the store's files
# and a private copy of the tree are dropped from it (posix_fadvise
# DONTNEED, for these files only).
cp -a "$tree" "$tmp/cold-tree"
evict() { find "$@" -type f -exec dd if={} iflag=nocache count=0 status=none \; ; }
: >"$tmp/t.cpcold"
: >"$tmp/t.excold"
: >"$tmp/c.cpcold"
: >"$tmp/c.excold"
cold_cp() {
	evict "$tmp/cold-tree"
	timedcpu "$tmp/t.cpcold" "$tmp/c.cpcold" cp -a "$tmp/cold-tree" "$tmp/out/cp-cold-$1"
}
cold_export() {
	evict "$tmp/store"
	timedcpu "$tmp/t.excold" "$tmp/c.excold" "$govix" --store "$tmp/store" castore export "$digest" "$tmp/out/govix-cold-$1"
}
sync
for i in $(seq "$runs"); do
	if ((i % 2)); then
		cold_cp "$i"
		cold_export "$i"
	else
		cold_export "$i"
		cold_cp "$i"
	fi
done
cpt=$(median "$tmp/t.cpcold")
ext=$(median "$tmp/t.excold")
printf '%-44s %7.2f s\n' "cp -a, cold page cache" "$cpt"
printf '%-44s %7.2f s   ratio to cp -a %s\n' "govix castore export, cold page cache" "$ext" "$(ratio "$ext" "$cpt")"
clean "$tmp/out" "$tmp/cold-tree"

# 5: peak RSS, flat in the tree's size: GOROOT and three copies of it, each
# copy with its own changes, each imported into a fresh store.
mkdir "$tmp/tree3"
cp -a "$tree" "$tmp/tree3/a"
cp -a "$tmp/tree2" "$tmp/tree3/b"
cp -a "$tree" "$tmp/tree3/c"
chmod -R u+w "$tmp/tree3/c"
find "$tmp/tree3/c" -type f | sort | awk 'NR % 7 == 0' | while IFS= read -r f; do printf 'c\n' >>"$f"; done
: >"$tmp/rss1"
: >"$tmp/rss3"
clean "$tmp/store"
timed "$tmp/rss1" "$govix" --store "$tmp/store" castore import "$tree"
clean "$tmp/store"
timed "$tmp/rss3" "$govix" --store "$tmp/store" castore import "$tmp/tree3"
printf '%-44s %7s MB (%d files) vs %s MB (%d files)\n' "peak RSS of import, 1x vs 3x tree" \
	"$(maxrss "$tmp/rss1")" "$nfiles" "$(maxrss "$tmp/rss3")" "$(find "$tmp/tree3" -type f | wc -l)"
printf '%-44s %7s MB (nix-store --add: %s MB)\n' "peak RSS of first import (max of runs)" "$(maxrss "$tmp/t.first")" "$(maxrss "$tmp/t.nix")"
