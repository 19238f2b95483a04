# Entry points; the scripts do the work.
.PHONY: test build setup bench

build:
	go build -o govix ./cmd/govix

setup:
	./scripts/setup.sh

test:
	./scripts/test.sh
