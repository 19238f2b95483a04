#!/bin/sh
# Runs every fuzz target for a short while (default 3s each; FUZZTIME=1m for
# longer). The seed corpora under testdata/fuzz run in every `go test`; this
# explores beyond them. Interesting inputs found land in testdata/fuzz/ of
# the package: commit them.
set -eu
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-3s}
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
	dir=$(dirname "$file")
	for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
		echo "fuzz $dir $target ($fuzztime)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$dir" >/tmp/govix-fuzz.$$ 2>&1 || {
			cat /tmp/govix-fuzz.$$
			rm -f /tmp/govix-fuzz.$$
			exit 1
		}
	done
done
rm -f /tmp/govix-fuzz.$$
