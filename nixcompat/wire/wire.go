// Package wire implements the primitives of Nix's daemon protocol and of its
// archive format: little-endian 64-bit integers, booleans, byte strings
// padded with zeros to a multiple of 8 bytes, and lists of strings.
//
// Everything read from a peer is bounded by a limit the caller chooses, so a
// hostile peer cannot make a reader allocate more than it asked for: a
// string's length is checked before any memory is reserved for it, and long
// strings grow their buffer only as their bytes actually arrive.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Errors returned by readers, wrapped with details; test with errors.Is.
var (
	// ErrTooLong means a string or list was longer than the limit the
	// caller allowed.
	ErrTooLong = errors.New("wire: length over limit")
	// ErrBadPadding means the bytes that pad a string to 8 bytes were not
	// all zero.
	ErrBadPadding = errors.New("wire: non-zero padding")
	// ErrBadBool means a boolean was neither 0 nor 1.
	ErrBadBool = errors.New("wire: invalid boolean")
)

// Padding returns how many zero bytes follow a string of n bytes.
func Padding(n uint64) int { return int(-n & 7) }

// PaddedLen returns the size on the wire of a string of n bytes: its length
// field, its bytes and their padding.
func PaddedLen(n uint64) uint64 { return 8 + n + uint64(Padding(n)) }

// AppendUint64 appends n as 8 little-endian bytes.
func AppendUint64(b []byte, n uint64) []byte { return binary.LittleEndian.AppendUint64(b, n) }

// AppendBool appends b as the integer 1 or 0.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return AppendUint64(b, 1)
	}
	return AppendUint64(b, 0)
}

var zeros [8]byte

// AppendString appends s as a length, its bytes and zero padding.
func AppendString(b []byte, s string) []byte {
	b = AppendUint64(b, uint64(len(s)))
	b = append(b, s...)
	return append(b, zeros[:Padding(uint64(len(s)))]...)
}

// AppendBytes is AppendString for a byte slice.
func AppendBytes(b []byte, s []byte) []byte {
	b = AppendUint64(b, uint64(len(s)))
	b = append(b, s...)
	return append(b, zeros[:Padding(uint64(len(s)))]...)
}

// AppendStrings appends a list of strings: its length, then each string.
func AppendStrings(b []byte, ss []string) []byte {
	b = AppendUint64(b, uint64(len(ss)))
	for _, s := range ss {
		b = AppendString(b, s)
	}
	return b
}

func tooLong(what string, n, limit uint64) error {
	return fmt.Errorf("%w: %s of %d bytes, at most %d allowed", ErrTooLong, what, n, limit)
}
