package nar

import "github.com/govix/govix/nixcompat/wire"

// The archive's bytes, shared by Writer and the dumper. An archive is a
// sequence of strings, each a little-endian u64 length, its bytes and zero
// padding to a multiple of 8:
//
//	archive   = "nix-archive-1" node
//	node      = "(" "type" ( regular | symlink | directory ) ")"
//	regular   = "regular" [ "executable" "" ] "contents" CONTENTS
//	symlink   = "symlink" "target" TARGET
//	directory = "directory" { "entry" "(" "name" NAME "node" node ")" }
//
// The append functions below write the parts between the names, targets
// and contents that vary; the fixed runs of tokens are encoded once.
var (
	tokMagic      = encodeTokens(Magic)
	tokClose      = encodeTokens(")")
	tokEntry      = encodeTokens("entry", "(", "name")
	tokNode       = encodeTokens("node")
	tokDirectory  = encodeTokens("(", "type", "directory")
	tokRegular    = encodeTokens("(", "type", "regular")
	tokExecutable = encodeTokens("executable", "")
	tokContents   = encodeTokens("contents")
	tokSymlink    = encodeTokens("(", "type", "symlink", "target")
	zeroPadding   = string(make([]byte, 8))
)

func encodeTokens(ts ...string) string {
	var b []byte
	for _, t := range ts {
		b = wire.AppendString(b, t)
	}
	return string(b)
}

// appendEntryStart starts the directory entry name, up to its node.
func appendEntryStart(b []byte, name string) []byte {
	b = append(b, tokEntry...)
	b = wire.AppendString(b, name)
	return append(b, tokNode...)
}

// appendRegularStart starts a regular file's node, up to its contents.
func appendRegularStart(b []byte, exec bool, size int64) []byte {
	b = append(b, tokRegular...)
	if exec {
		b = append(b, tokExecutable...)
	}
	b = append(b, tokContents...)
	return wire.AppendUint64(b, uint64(size))
}

// appendRegularEnd ends a regular file's node after size bytes of
// contents.
func appendRegularEnd(b []byte, size int64) []byte {
	b = append(b, zeroPadding[:wire.Padding(uint64(size))]...)
	return append(b, tokClose...)
}

// appendSymlink appends a symbolic link's whole node.
func appendSymlink(b []byte, target string) []byte {
	b = append(b, tokSymlink...)
	b = wire.AppendString(b, target)
	return append(b, tokClose...)
}
