#!/bin/bash
# castore against Nix 2.8 on the Go toolchain tree (GOROOT, ~270 MB in ~15k
# files), in the same run:
#
#   1. govix castore import into a fresh embedded store vs
#      nix-store --store FRESH --add            (target: ratio <= 0.5)
#   2. importing the same tree again vs the first import (target <= 0.3)
#   3. a second tree sharing 90% of the files (a copy of GOROOT with every
#      tenth file changed): how much the store grows (target <= 15%)
#   4. govix castore export vs cp -a of the tree (target: ratio <= 1.0)
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

# 4: export vs cp -a.
: >"$tmp/t.cp"
: >"$tmp/t.export"
for i in $(seq "$runs"); do
	clean "$tmp/out-cp" "$tmp/out-govix"
	warm "$tree"
	timed "$tmp/t.cp" cp -a "$tree" "$tmp/out-cp"
	clean "$tmp/out-cp"
	warm "$tmp/store"
	timed "$tmp/t.export" "$govix" --store "$tmp/store" castore export "$digest" "$tmp/out-govix"
done
diff -r "$tree" "$tmp/out-govix" >/dev/null || { echo "export differs from the tree" >&2; exit 1; }
clean "$tmp/out-govix"
cpt=$(median "$tmp/t.cp")
ext=$(median "$tmp/t.export")
printf '%-44s %7.2f s\n' "cp -a" "$cpt"
printf '%-44s %7.2f s   ratio to cp -a %s (target <= 1.0)\n' "govix castore export" "$ext" "$(ratio "$ext" "$cpt")"

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
