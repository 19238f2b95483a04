#!/bin/sh
# Installs what govix's tests need on a fresh Debian machine with Go, and
# nothing that is already there. Safe to run again and again.
set -eu

# command:package pairs; a package is installed when its command is missing.
needs="nix-instantiate:nix-bin nix-store:nix-bin fusermount3:fuse3 runc:runc busybox:busybox-static
protoc:protobuf-compiler git:git xz:xz-utils zstd:zstd bzip2:bzip2 curl:curl
/usr/bin/time:time bc:bc"

missing=""
for pair in $needs; do
	cmd=${pair%%:*}
	pkg=${pair#*:}
	if ! command -v "$cmd" >/dev/null 2>&1; then
		case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
	fi
done

if [ -n "$missing" ]; then
	sudo=""
	if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
	echo "setup: installing$missing" >&2
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

cd "$(dirname "$0")/.."
go mod download

# versitygw: the real S3-compatible server the object-store tests run
# against (castore/objectstore), built from its module into go install's bin
# directory, where the tests look for it. Building takes about 2 minutes.
gobin=$(go env GOBIN)
if [ -z "$gobin" ]; then gobin="$(go env GOPATH | cut -d: -f1)/bin"; fi
if ! command -v versitygw >/dev/null 2>&1 && [ ! -x "$gobin/versitygw" ]; then
	echo "setup: building versitygw into $gobin" >&2
	(cd / && GOFLAGS=-mod=mod go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)
fi
