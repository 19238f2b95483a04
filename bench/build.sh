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
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }; t1=$(date +%s.%N); echo "$t0 $t1" | awk '{printf "%.3f\n", $2-$1}'; }

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
govixbuild() { "$govix" build "$tmp/graph.nix" --argstr salt "$1" -j "$jobs"; }

# Warm up: both stores get busybox, govix its input cache.
nixbuild warm >/dev/null 2>&1
govixbuild warm >/dev/null 2>&1
n=$(govixbuild check 2>/dev/null | wc -l)
[ "$n" = 50 ] || { echo "expected 50 outputs, got $n" >&2; exit 1; }
nixbuild check >/dev/null 2>&1

: >"$tmp/nix.t"; : >"$tmp/govix.t"
for r in $(seq "$runs"); do
	secs nixbuild "run$r-$RANDOM" >>"$tmp/nix.t"
	secs govixbuild "run$r-$RANDOM" >>"$tmp/govix.t"
done
nt=$(median "$tmp/nix.t"); gt=$(median "$tmp/govix.t")
echo "50 derivations, $jobs jobs, median of $runs runs:"
printf "  nix-build    %6.3f s   (%s)\n" "$nt" "$(tr '\n' ' ' <"$tmp/nix.t")"
printf "  govix build  %6.3f s   (%s)\n" "$gt" "$(tr '\n' ' ' <"$tmp/govix.t")"
echo "$gt $nt" | awk '{printf "  ratio govix/nix  %.2f (target <= 1.0)\n", $1/$2}'
