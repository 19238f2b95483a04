#!/bin/bash
# The store against Nix 2.8 on the Go toolchain tree (GOROOT, ~270 MB in
# ~15k files) added as a store path, in the same run:
#
#   1. nix copy --to the nar-bridge (over a fresh embedded store) vs
#      nix copy --to file://DIR, both ?compression=none  (target <= 1.0),
#      and vs nix copy --to a cache that discards what it gets
#      (bench/nullcache): Nix 2.8 reads the NAR back into memory before
#      an HTTP upload, which it does not do for file://, so that is the
#      floor of any HTTP cache; what the bridge adds is the ratio to it
#   2. serving the NAR from the warm store: GB/s of a whole-NAR GET on
#      loopback (target >= 1 GB/s), and nix copy --from the bridge vs from
#      the file:// cache
#   3. space: the bridge's store holding the tree and a second version of
#      it (one file changed) vs a Nix binary cache holding both NARs
#      (uncompressed and zstd)
#   4. transfer: govix store copy of both versions to a store daemon
#      (grpc+unix): bytes sent on the wire for the second version vs its
#      NAR size
#
# Timings are medians of RUNS runs (default 3), the two sides taking turns,
# each with a fresh destination and a fresh Nix cache directory (Nix
# remembers what a binary cache holds). On a shared, busy machine the
# timings swing by 2x from run to run: raise RUNS there, or set BENCH_RT=1
# (as root) to run Nix, curl and the bridge at a real-time priority (chrt
# -f 10), which measures what an idle machine would show (as
# bench/castore-fuse.sh does).
#
#   bench/store.sh [TREE]        (default: $(go env GOROOT))
set -euo pipefail
cd "$(dirname "$0")/.."
tree=${1:-$(go env GOROOT)}
runs=${RUNS:-3}
rt=
if [ "${BENCH_RT:-}" = 1 ]; then rt="chrt -f 10"; fi
tmp=$(mktemp -d -p "${TMPDIR:-/tmp}" govix-store-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	chmod -R u+w "$tmp" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/govix" ./cmd/govix
go build -o "$tmp/nullcache" ./bench/nullcache
govix="$tmp/govix"
export NIX_CONFIG="experimental-features = nix-command"
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { echo "$1 $2" | awk '{printf "%.2f", $1/$2}'; }
secs() { local t0 t1; t0=$(date +%s.%N); $rt "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }; t1=$(date +%s.%N); echo "$t0 $t1" | awk '{printf "%.3f\n", $2-$1}'; }
freshnix() { export HOME="$tmp/home-$1" XDG_CACHE_HOME="$tmp/home-$1/.cache"; mkdir -p "$HOME"; }
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# bridge DIR: starts a nar-bridge over local://DIR, sets $bridge_url.
bridge() {
	local port
	port=$(freeport)
	$rt "$govix" --store "local://$1" nar-bridge --listen "127.0.0.1:$port" 2>"$tmp/bridge.log" &
	pids+=($!)
	bridge_pid=$!
	bridge_url="http://127.0.0.1:$port"
	for _ in $(seq 100); do curl -sf "$bridge_url/nix-cache-info" >/dev/null && return; sleep 0.05; done
	echo "nar-bridge did not start" >&2; cat "$tmp/bridge.log" >&2; exit 1
}
stopbridge() { kill "$bridge_pid"; wait "$bridge_pid" 2>/dev/null || true; }

# The tree and a second version of it with one file changed, as store paths.
freshnix setup
p1=$(nix-store --store "$tmp/nixsrc" --add "$tree")
# Same base name, so that the two versions are two versions of one path.
tree2="$tmp/v2/$(basename "$tree")"
mkdir -p "$tmp/v2"
cp -a "$tree" "$tree2"
chmod -R u+w "$tree2"
changed=$(find "$tree2" -type f -name '*.go' | sort | awk 'NR == 1')
printf '\n// changed\n' >>"$changed"
p2=$(nix-store --store "$tmp/nixsrc" --add "$tree2")
nar1=$(nix path-info --store "$tmp/nixsrc" --json "$p1" | sed 's/.*"narSize":\([0-9]*\).*/\1/')
nar2=$(nix path-info --store "$tmp/nixsrc" --json "$p2" | sed 's/.*"narSize":\([0-9]*\).*/\1/')
echo "tree: $tree ($(du -sm "$tree" | cut -f1) MB, $(find "$tree" -type f | wc -l) files) as $p1, NAR $((nar1 / 1000000)) MB; median of $runs runs"

# 1: nix copy --to, file:// vs the bridge (and vs a cache that discards).
: >"$tmp/t.file"
: >"$tmp/t.bridge"
: >"$tmp/t.null"
nullport=$(freeport)
$rt "$tmp/nullcache" "127.0.0.1:$nullport" &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$nullport/nix-cache-info" >/dev/null && break; sleep 0.05; done
for i in $(seq "$runs"); do
	rm -rf "$tmp/fc" "$tmp/g"
	nix-store --store "$tmp/nixsrc" --dump "$p1" >/dev/null 2>&1 || tar -cf - "$tmp/nixsrc/$p1" 2>/dev/null | cat >/dev/null
	freshnix "f$i"
	secs nix copy --from "$tmp/nixsrc" --to "file://$tmp/fc?compression=none" "$p1" >>"$tmp/t.file"
	bridge "$tmp/g"
	freshnix "b$i"
	secs nix copy --from "$tmp/nixsrc" --to "$bridge_url?compression=none" "$p1" >>"$tmp/t.bridge"
	stopbridge
	freshnix "n$i"
	secs nix copy --from "$tmp/nixsrc" --to "http://127.0.0.1:$nullport?compression=none" "$p1" >>"$tmp/t.null"
done
tf=$(median "$tmp/t.file")
tb=$(median "$tmp/t.bridge")
tn=$(median "$tmp/t.null")
printf '%-52s %7.2f s\n' "nix copy --to file://DIR?compression=none" "$tf"
printf '%-52s %7.2f s   ratio %s to file://\n' "nix copy --to a discarding HTTP cache (the floor)" "$tn" "$(ratio "$tn" "$tf")"
printf '%-52s %7.2f s   ratio %s to file:// (target <= 1.0), %s to the floor\n' "nix copy --to nar-bridge ?compression=none" "$tb" "$(ratio "$tb" "$tf")" "$(ratio "$tb" "$tn")"

# 2: serving from the warm store.
bridge "$tmp/g"
freshnix up2
nix copy --from "$tmp/nixsrc" --to "$bridge_url?compression=none" "$p2" 2>/dev/null
hash1=$(basename "$p1")
url=$(curl -sf "$bridge_url/${hash1:0:32}.narinfo" | sed -n 's/^URL: //p')
: >"$tmp/t.get"
for i in $(seq $((runs * 2))); do
	$rt curl -sf -o /dev/null -w '%{size_download} %{time_total}\n' "$bridge_url/$url" | awk '{printf "%.3f\n", $1/$2/1e9}' >>"$tmp/t.get"
done
printf '%-52s %7.2f GB/s (target >= 1; median of %d GETs)\n' "GET whole NAR from the warm store (curl)" "$(median "$tmp/t.get")" $((runs * 2))
: >"$tmp/t.from.file"
: >"$tmp/t.from.bridge"
for i in $(seq "$runs"); do
	freshnix ff$i
	secs nix copy --no-check-sigs --from "file://$tmp/fc" --to "$tmp/dst-f$i" "$p1" >>"$tmp/t.from.file"
	freshnix fb$i
	secs nix copy --no-check-sigs --from "$bridge_url" --to "$tmp/dst-b$i" "$p1" >>"$tmp/t.from.bridge"
	chmod -R u+w "$tmp/dst-f$i" "$tmp/dst-b$i"; rm -rf "$tmp/dst-f$i" "$tmp/dst-b$i"
done
ff=$(median "$tmp/t.from.file")
fb=$(median "$tmp/t.from.bridge")
printf '%-52s %7.2f s\n' "nix copy --from file://DIR" "$ff"
printf '%-52s %7.2f s   ratio %s\n' "nix copy --from nar-bridge" "$fb" "$(ratio "$fb" "$ff")"
stopbridge

# 3: space for both versions.
freshnix sp
nix copy --from "$tmp/nixsrc" --to "file://$tmp/fc?compression=none" "$p2" 2>/dev/null
nix copy --from "$tmp/nixsrc" --to "file://$tmp/fcz?compression=zstd" "$p1" "$p2" 2>/dev/null
g=$(du -sb "$tmp/g" | cut -f1)
fc=$(du -sb "$tmp/fc" | cut -f1)
fcz=$(du -sb "$tmp/fcz" | cut -f1)
printf '%-52s %7d MB\n' "Nix binary cache, both NARs, uncompressed" $((fc / 1000000))
printf '%-52s %7d MB\n' "Nix binary cache, both NARs, zstd" $((fcz / 1000000))
printf '%-52s %7d MB   ratio %s to uncompressed, %s to zstd\n' "govix store (nar-bridge's), both paths" $((g / 1000000)) "$(ratio "$g" "$fc")" "$(ratio "$g" "$fcz")"

# 4: transfer only what changed, to a store daemon.
sock="$tmp/daemon.sock"
"$govix" --store "local://$tmp/remote" store daemon --listen "unix://$sock" 2>"$tmp/daemon.log" &
pids+=($!)
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
"$govix" store copy --from "local://$tmp/g" --to "grpc+unix://$sock" --no-check-sigs --stats "$p1" 2>"$tmp/copy1"
"$govix" store copy --from "local://$tmp/g" --to "grpc+unix://$sock" --no-check-sigs --stats "$p2" 2>"$tmp/copy2"
# What crossed the wire (gRPC messages, both directions' payloads as framed).
sent1=$(sed -n 's/^wire: \([0-9]*\) bytes sent.*/\1/p' "$tmp/copy1")
sent2=$(sed -n 's/^wire: \([0-9]*\) bytes sent.*/\1/p' "$tmp/copy2")
printf '%-52s %10d bytes of a %d-byte NAR\n' "store copy to daemon, first version: sent" "$sent1" "$nar1"
printf '%-52s %10d bytes of a %d-byte NAR (%s%%; one file of %d bytes changed)\n' "store copy to daemon, second version: sent" "$sent2" "$nar2" \
	"$(echo "$sent2 $nar2" | awk '{printf "%.3f", 100*$1/$2}')" "$(stat -c %s "$changed")"
