package castore

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/zeebo/blake3"
)

// DigestSize is the length of a BLAKE3 digest in bytes.
const DigestSize = 32

// Digest is a BLAKE3-256 digest: the name of a blob, a chunk or a Directory.
type Digest [DigestSize]byte

// Sum returns the BLAKE3 digest of b.
func Sum(b []byte) Digest { return blake3.Sum256(b) }

// EmptyBlobDigest is the digest of the empty blob (and of the empty Directory,
// whose canonical encoding is empty too).
var EmptyBlobDigest = Sum(nil)

// String formats d as Tvix does: "b3:" and standard padded base64.
func (d Digest) String() string { return "b3:" + base64.StdEncoding.EncodeToString(d[:]) }

// Hex returns d in lower-case hexadecimal.
func (d Digest) Hex() string { return hex.EncodeToString(d[:]) }

// IsZero reports whether d is all zeros, the zero value.
func (d Digest) IsZero() bool { return d == Digest{} }

// DigestFromBytes converts a raw 32-byte slice (as found in protobuf
// messages) to a Digest.
func DigestFromBytes(b []byte) (Digest, error) {
	var d Digest
	if len(b) != DigestSize {
		return d, fmt.Errorf("%w: digest is %d bytes, want %d", ErrInvalid, len(b), DigestSize)
	}
	copy(d[:], b)
	return d, nil
}

// ParseDigest parses a digest written as "b3:BASE64" (standard base64, as
// Tvix prints it), bare base64, or 64 hexadecimal digits.
func ParseDigest(s string) (Digest, error) {
	rest := strings.TrimPrefix(s, "b3:")
	var raw []byte
	var err error
	switch {
	case len(rest) == 2*DigestSize:
		raw, err = hex.DecodeString(rest)
	default:
		raw, err = base64.StdEncoding.DecodeString(rest)
	}
	if err != nil || len(raw) != DigestSize {
		return Digest{}, fmt.Errorf("%w: %q is not a BLAKE3 digest (want b3:BASE64 or 64 hex digits)", ErrInvalid, s)
	}
	return Digest(raw), nil
}

// Errors reported by services and validation; test with errors.Is.
var (
	// ErrNotFound: the blob or directory is not in the store.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a message, name or argument breaks the data model's rules.
	ErrInvalid = errors.New("invalid")
	// ErrCorrupt: stored or received bytes do not match their digest.
	ErrCorrupt = errors.New("corrupt data")
)
