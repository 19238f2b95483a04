#!/bin/bash
# Reading a tree through `govix castore mount` against reading the original
# tree, on the Go toolchain tree (GOROOT, ~270 MB in ~15k files), in the same
# run. Target (issue 5): reading every file through the mount at most 2x the
# time of reading the original tree.
#
# Each round mounts the imported tree afresh (so nothing of it is in the
# kernel's caches) and times, with the tools taking turns:
#
#   native      tar -cf - . | cat >/dev/null  on the original tree, which is
#               in the page cache (it is read once before the rounds)
#   cold        the same through the fresh mount: nothing of the tree is in
#               the kernel's caches for the mount (dentries, attributes,
#               listings, page cache), so every byte comes from the store,
#               verified, through FUSE. The store's pack files are in the
#               page cache, as the original tree is for native: both sides
#               read from memory, neither from the disk
#   warm        the same again through the same mount: what the kernel kept
#   walk        tar -cf /dev/null . on the mount and on the tree: GNU tar does
#               not read file data when the archive is /dev/null, so this
#               times the metadata walk alone (listings, stats, opens).
#               The mount lists directories ahead only for a reader that
#               reads files, so this walk waits for every listing
#   cold-noprefetch   cold with --prefetch 0 (no prefetching: no files
#               pushed into the page cache, no directories listed ahead)
#
# Each timing is the median of RUNS rounds (default 5; the best is shown
# too: the machine is shared, and the best run is the one least disturbed).
# Ratios are of medians, to native's.
#
# A FUSE read is a round trip between the reader and the server, so on a
# machine whose cores are busy with other work every round trip waits for a
# time slice and the mount looks far slower than it is. BENCH_RT=1 (as root)
# runs the server and every timed reader, native ones included, at a
# real-time priority (chrt -f 10), which measures what an idle machine would
# show.
#
#   bench/castore-fuse.sh [TREE]        (default: $(go env GOROOT))
set -euo pipefail
cd "$(dirname "$0")/.."
tree=$(cd "${1:-$(go env GOROOT)}" && pwd)
runs=${RUNS:-5}
[ -e /dev/fuse ] || { echo "castore-fuse: /dev/fuse is missing" >&2; exit 1; }
command -v fusermount3 >/dev/null || { echo "castore-fuse: fusermount3 is missing (scripts/setup.sh)" >&2; exit 1; }

tmp=$(mktemp -d -p "${TMPDIR:-/tmp}" govix-bench-fuse.XXXXXX)
mnt=$tmp/mnt
pid=
cleanup() {
	if [ -n "$pid" ]; then kill -INT "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	grep -q " $mnt " /proc/self/mountinfo && { fusermount3 -u -z "$mnt" || umount -l "$mnt"; } 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$mnt"

rt=
if [ "${BENCH_RT:-}" = 1 ]; then rt="chrt -f 10"; fi

go build -o "$tmp/govix" ./cmd/govix
govix="$tmp/govix"
store=local://$tmp/store

now() { date +%s.%N; }
# timed OUT DIR CMD: runs CMD (a shell command) in DIR, appends the seconds
# to OUT.
timed() {
	local out=$1 dir=$2 start end
	start=$(now)
	(cd "$dir" && $rt sh -c "$3")
	end=$(now)
	echo "$start $end" | awk '{printf "%.3f\n", $2-$1}' >>"$out"
}
best() { sort -n "$1" | head -1; }
median() { sort -n "$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ratio() { echo "$1 $2" | awk '{printf "%.2f", $1/$2}'; }
mbs() { echo "$1 $2" | awk '{printf "%.0f", $1/1e6/$2}'; }

mount_tree() {
	$rt "$govix" --store "$store" castore mount "$@" "$digest" "$mnt" 2>>"$tmp/mount.log" &
	pid=$!
	for _ in $(seq 600); do
		grep -q " $mnt " /proc/self/mountinfo && return 0
		kill -0 "$pid" 2>/dev/null || { cat "$tmp/mount.log" >&2; exit 1; }
		sleep 0.05
	done
	echo "castore-fuse: mount did not appear in 30 s" >&2
	exit 1
}
unmount_tree() {
	kill -INT "$pid"
	wait "$pid"
	pid=
	! grep -q " $mnt " /proc/self/mountinfo || { echo "castore-fuse: still mounted after SIGINT" >&2; exit 1; }
}

bytes=$(tar -cf - -C "$tree" . | wc -c)
nfiles=$(find "$tree" -type f | wc -l)
start=$(now)
digest=$("$govix" --store "$store" castore import "$tree")
import=$(echo "$start $(now)" | awk '{printf "%.2f", $2-$1}')
echo "tree: $tree ($((bytes / 1000000)) MB as tar, $nfiles files), imported in $import s as $digest"
echo "median of $runs rounds; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)${rt:+; real-time priority (BENCH_RT=1)}"

read_all='tar -cf - . | cat >/dev/null'
walk='tar -cf /dev/null .'
for f in native cold warm walk-native walk-mount cold-noprefetch cpu-cold; do : >"$tmp/t.$f"; done
# server_cpu: the mount server's user+system CPU seconds so far.
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.3f\n", ($14 + $15) / hz}' "/proc/$pid/stat"; }
timed /dev/null "$tree" "$read_all" # the original into the page cache
for _ in $(seq "$runs"); do
	timed "$tmp/t.native" "$tree" "$read_all"
	mount_tree
	c0=$(server_cpu)
	timed "$tmp/t.cold" "$mnt" "$read_all"
	echo "$c0 $(server_cpu)" | awk '{printf "%.3f\n", $2-$1}' >>"$tmp/t.cpu-cold"
	timed "$tmp/t.warm" "$mnt" "$read_all"
	unmount_tree
	mount_tree
	timed "$tmp/t.walk-mount" "$mnt" "$walk"
	unmount_tree
	timed "$tmp/t.walk-native" "$tree" "$walk"
	mount_tree --prefetch 0
	timed "$tmp/t.cold-noprefetch" "$mnt" "$read_all"
	unmount_tree
done

# The mounted tree must be the tree.
mount_tree
diff -r --no-dereference "$tree" "$mnt" >/dev/null || { echo "castore-fuse: the mount differs from the tree" >&2; exit 1; }
unmount_tree

native=$(median "$tmp/t.native")
report() { # NAME FILE TARGET
	local m
	m=$(median "$2")
	printf '%-40s %7.3f s  %6s MB/s  ratio %5s  (best %.3f s)%s\n' "$1" "$m" "$(mbs "$bytes" "$m")" "$(ratio "$m" "$native")" "$(best "$2")" "$3"
}
report "read original tree (native, cached)" "$tmp/t.native" ""
report "read through fresh mount (cold)" "$tmp/t.cold" "  (target <= 2)"
printf '%-40s %7.3f s\n' "  server CPU (user+sys) during cold" "$(median "$tmp/t.cpu-cold")"
report "read through mount again (warm)" "$tmp/t.warm" "  (target <= 2)"
report "cold, --prefetch 0" "$tmp/t.cold-noprefetch" ""
wn=$(median "$tmp/t.walk-native")
wm=$(median "$tmp/t.walk-mount")
printf '%-40s %7.3f s\n' "metadata walk, original" "$wn"
printf '%-40s %7.3f s                ratio %5s\n' "metadata walk, fresh mount" "$wm" "$(ratio "$wm" "$wn")"
