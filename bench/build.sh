#!/bin/bash
# govix build against nix-build (Nix 2.8, sandbox on) on the same graph of
# 50 small derivations, in the same run: 5 layers of 10, each derivation
# built by a static busybox (imported with builtins.path) writing a small
# file that refers to two derivations of the layer below. What it
# measures is the cost of setting a build up and tearing it down, times
# 50, with the parallelism the graph allows.
#
# Each run builds a fresh graph (a new salt) into stores that already hold
# busybox; the two sides take turns and the timings are medians of RUNS
# runs (default 5). Both get the same number of jobs: JOBS (default 2 per
# CPU, govix's default); Nix's own default is 1. Wall time of the whole
# command, evaluation included (target: govix <= 1.0x nix-build).
#
#   sudo bench/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
jobs=${JOBS:-$((2 * $(nproc)))}
if [ "$(id -u)" != 0 ]; then echo "bench/build.sh: the sandbox needs root" >&2; exit 1; fi
tmp=$(mktemp -d -p "${TMPDIR:-/tmp}" govix-build-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/govix" ./cmd/govix
govix="$tmp/govix"
export GOVIX_HOME="$tmp/govix-home"
mkdir -p "$tmp/bb"
cp "$(command -v busybox)" "$tmp/bb/busybox"
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# timed FILE CMD...: appends "wall cpu" (seconds; CPU of the command and
# the processes it waited for: runc, the builders) to FILE.
timed() {
	local f=$1; shift
	/usr/bin/time -f "%e %U %S" -o "$tmp/time" bash -c '"$@"' bash "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }
	awk '{printf "%.3f %.3f\n", $1, $2 + $3}' "$tmp/time" >>"$f"
}

cat >"$tmp/graph.nix" <<NIX
{ salt }:
let
  bb = builtins.path { path = $tmp/bb; name = "busybox"; };
  sh = "\${bb}/busybox";
  drv = l: i: derivation {
    name = "d\${toString l}-\${toString i}";
    system = "x86_64-linux";
    builder = sh;
    inherit salt;
    deps = if l == 0 then [] else let below = builtins.elemAt layers (l - 1); in
      [ (builtins.elemAt below i) (builtins.elemAt below (if i == 9 then 0 else i + 1)) ];
    args = [ "sh" "-c" "echo \$salt \$deps > \$out" ];
  };
  layers = builtins.genList (l: builtins.genList (drv l) 10) 5;
in builtins.concatLists layers
NIX

nixbuild() {
	nix-build --store "$tmp/nix" "$tmp/graph.nix" --argstr salt "$1" --no-out-link -j "$jobs" \
		--option sandbox true --option build-users-group '' --option substituters ''
}
govixbuild() { "$govix" build "$tmp/graph.nix" --argstr salt "$1" -j "$jobs" --no-out-link; }
export -f nixbuild govixbuild
export tmp jobs govix

# Warm up: both stores get busybox, govix its input cache.
nixbuild warm >/dev/null 2>&1
govixbuild warm >/dev/null 2>&1
n=$(govixbuild check 2>/dev/null | wc -l)
[ "$n" = 50 ] || { echo "expected 50 outputs, got $n" >&2; exit 1; }
nixbuild check >/dev/null 2>&1

: >"$tmp/nix.t"; : >"$tmp/govix.t"
for r in $(seq "$runs"); do
	timed "$tmp/nix.t" nixbuild "run$r-$RANDOM"
	timed "$tmp/govix.t" govixbuild "run$r-$RANDOM"
done
col() { awk -v c="$2" '{print $c}' "$1" >"$1.$2"; median "$1.$2"; }
nw=$(col "$tmp/nix.t" 1); nc=$(col "$tmp/nix.t" 2)
gw=$(col "$tmp/govix.t" 1); gc=$(col "$tmp/govix.t" 2)
echo "50 derivations, $jobs jobs, medians of $runs runs (wall, CPU incl. runc and builders):"
printf "  nix-build    wall %6.3f s  cpu %6.3f s   (wall: %s)\n" "$nw" "$nc" "$(tr '\n' ' ' <"$tmp/nix.t.1")"
printf "  govix build  wall %6.3f s  cpu %6.3f s   (wall: %s)\n" "$gw" "$gc" "$(tr '\n' ' ' <"$tmp/govix.t.1")"
echo "$gw $nw $gc $nc" | awk '{printf "  ratio govix/nix  wall %.2f (target <= 1.0), cpu %.2f\n", $1/$2, $3/$4}'
