#!/bin/sh
# Installs what govix's tests need on a fresh Debian machine with Go, and
# nothing that is already there. Safe to run again and again.
set -eu

# command:package pairs; a package is installed when its command is missing.
needs="nix-instantiate:nix-bin nix-store:nix-bin fusermount3:fuse3 runc:runc busybox:busybox-static
protoc:protobuf-compiler git:git xz:xz-utils zstd:zstd bzip2:bzip2 curl:curl"

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
