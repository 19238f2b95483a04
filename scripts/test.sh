#!/bin/sh
# The whole test suite: set-up, formatting, vet, lint, the evaluator's wasm
# builds and every Go test. `make test` runs this; so does CI.
set -eu
cd "$(dirname "$0")/.."
export CI="${CI:-}"

./scripts/setup.sh

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt needed on:" >&2
	echo "$unformatted" >&2
	exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
go tool staticcheck ./...

echo "== wasm builds of the evaluator"
for target in js/wasm wasip1/wasm; do
	pkgs=$(go list ./eval/... 2>/dev/null | grep -v /cmd/ || true)
	if [ -n "$pkgs" ]; then
		GOOS=${target%/*} GOARCH=${target#*/} go build $pkgs
	fi
done

echo "== go test"
go test -timeout 30m ./... "$@"

echo "== fuzz (briefly, every target)"
./scripts/fuzz.sh
