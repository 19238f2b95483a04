// Package nixhash is Nix's notion of a cryptographic hash: an algorithm
// (md5, sha1, sha256 or sha512) and a digest, parsed from and printed in
// every form Nix uses — base16, Nix's base 32 ("nix32"), base64, SRI
// ("sha256-...") and the "algo:digest" prefixed forms.
//
// Parsing follows Nix 2.8's Hash::parseAny, parseAnyPrefixed,
// parseNonSRIUnprefixed and parseSRI: the encoding of an unprefixed or
// "algo:"-prefixed digest is decided by its length, which differs for every
// encoding of every algorithm.
package nixhash

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"

	"github.com/govix/govix/nixcompat/nixbase32"
)

// Algorithm is a hash algorithm Nix knows. The zero value means "unknown",
// for the parse functions that may or may not be told the algorithm.
type Algorithm uint8

// The algorithms, in Nix's order.
const (
	MD5 Algorithm = iota + 1
	SHA1
	SHA256
	SHA512
)

// MaxSize is the largest digest size of any Algorithm (sha512's).
const MaxSize = sha512.Size

var algoNames = [...]string{MD5: "md5", SHA1: "sha1", SHA256: "sha256", SHA512: "sha512"}
var algoSizes = [...]int{MD5: md5.Size, SHA1: sha1.Size, SHA256: sha256.Size, SHA512: sha512.Size}

// Algorithms lists every algorithm, for help texts and tests.
var Algorithms = []Algorithm{MD5, SHA1, SHA256, SHA512}

// ErrBadHash is matched (with errors.Is) by every error this package
// returns for malformed hashes and unknown algorithms.
var ErrBadHash = errors.New("bad hash")

type badHash struct{ msg string }

func (e *badHash) Error() string        { return e.msg }
func (e *badHash) Is(target error) bool { return target == ErrBadHash }

func errorf(format string, args ...any) error {
	return &badHash{msg: fmt.Sprintf(format, args...)}
}

// ParseAlgorithm returns the algorithm with the given Nix name (md5, sha1,
// sha256 or sha512).
func ParseAlgorithm(s string) (Algorithm, error) {
	switch s {
	case "md5":
		return MD5, nil
	case "sha1":
		return SHA1, nil
	case "sha256":
		return SHA256, nil
	case "sha512":
		return SHA512, nil
	}
	return 0, errorf("unknown hash algorithm '%s'", s)
}

// String returns the Nix name of a, or "unknown" for invalid values.
func (a Algorithm) String() string {
	if a.Valid() {
		return algoNames[a]
	}
	return "unknown"
}

// Valid reports whether a is one of the defined algorithms.
func (a Algorithm) Valid() bool { return a >= MD5 && a <= SHA512 }

// Size returns the digest size of a in bytes, or 0 if a is not valid.
func (a Algorithm) Size() int {
	if a.Valid() {
		return algoSizes[a]
	}
	return 0
}

// New returns a new hash.Hash computing a. It panics if a is not valid.
func (a Algorithm) New() hash.Hash {
	switch a {
	case MD5:
		return md5.New()
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	case SHA512:
		return sha512.New()
	}
	panic(fmt.Sprintf("nixhash: invalid algorithm %d", a))
}

// Length of each encoding of a digest of a. Nix tells encodings apart by them.
func (a Algorithm) base16Len() int { return a.Size() * 2 }
func (a Algorithm) nix32Len() int  { return nixbase32.EncodedLen(a.Size()) }
func (a Algorithm) base64Len() int { return base64.StdEncoding.EncodedLen(a.Size()) }

// Hash is a digest together with its algorithm. It is a comparable value;
// the zero Hash has no algorithm and is reported by IsZero.
type Hash struct {
	algo   Algorithm
	digest [MaxSize]byte
}

// New returns the Hash of algorithm a with the given digest, which must have
// a's size.
func New(a Algorithm, digest []byte) (Hash, error) {
	if !a.Valid() {
		return Hash{}, errorf("invalid hash algorithm %d", a)
	}
	if len(digest) != a.Size() {
		return Hash{}, errorf("%s digest must be %d bytes, not %d", a, a.Size(), len(digest))
	}
	h := Hash{algo: a}
	copy(h.digest[:], digest)
	return h, nil
}

// Zero returns the all-zero digest of algorithm a; Nix uses it for an empty
// outputHash. It panics if a is not valid.
func Zero(a Algorithm) Hash {
	if !a.Valid() {
		panic(fmt.Sprintf("nixhash: invalid algorithm %d", a))
	}
	return Hash{algo: a}
}

// Algorithm returns h's algorithm.
func (h Hash) Algorithm() Algorithm { return h.algo }

// Digest returns a copy of h's digest.
func (h Hash) Digest() []byte {
	return append([]byte(nil), h.digest[:h.algo.Size()]...)
}

// IsZero reports whether h is the zero Hash (no algorithm).
func (h Hash) IsZero() bool { return h.algo == 0 }

// d returns the digest without copying, for use inside the package.
func (h *Hash) d() []byte { return h.digest[:h.algo.Size()] }

// Encoding is one of the textual forms of a digest.
type Encoding uint8

// The encodings Nix prints. SRI always carries the algorithm ("sha256-...").
const (
	Base16 Encoding = iota + 1
	Nix32
	Base64
	SRI
)

// ParseEncoding accepts the names used on Nix's command lines: base16,
// nix32 or base32, base64 and sri.
func ParseEncoding(s string) (Encoding, error) {
	switch s {
	case "base16":
		return Base16, nil
	case "nix32", "base32":
		return Nix32, nil
	case "base64":
		return Base64, nil
	case "sri":
		return SRI, nil
	}
	return 0, fmt.Errorf("unknown hash encoding '%s' (want base16, nix32, base64 or sri)", s)
}

func (e Encoding) String() string {
	switch e {
	case Base16:
		return "base16"
	case Nix32:
		return "nix32"
	case Base64:
		return "base64"
	case SRI:
		return "sri"
	}
	return "unknown"
}

// Format prints h in encoding e, like Nix's Hash::to_string: with the
// "algo:" prefix when withAlgo is set, and always as "algo-base64" for SRI.
func (h Hash) Format(e Encoding, withAlgo bool) string {
	return string(h.AppendFormat(nil, e, withAlgo))
}

// AppendFormat appends h.Format(e, withAlgo) to b.
func (h Hash) AppendFormat(b []byte, e Encoding, withAlgo bool) []byte {
	if e == SRI || withAlgo {
		b = append(b, h.algo.String()...)
		if e == SRI {
			b = append(b, '-')
		} else {
			b = append(b, ':')
		}
	}
	d := h.d()
	switch e {
	case Base16:
		b = hex.AppendEncode(b, d)
	case Nix32:
		b = nixbase32.AppendEncode(b, d)
	default:
		b = base64.StdEncoding.AppendEncode(b, d)
	}
	return b
}

// Base16 returns the lower-case hexadecimal digest, without the algorithm.
func (h Hash) Base16() string { return h.Format(Base16, false) }

// Nix32 returns the digest in Nix's base 32, without the algorithm.
func (h Hash) Nix32() string { return h.Format(Nix32, false) }

// Base64 returns the padded standard base64 digest, without the algorithm.
func (h Hash) Base64() string { return h.Format(Base64, false) }

// SRI returns the Subresource Integrity form, "algo-base64".
func (h Hash) SRI() string { return h.Format(SRI, true) }

// String returns the SRI form, or "" for the zero Hash.
func (h Hash) String() string {
	if h.IsZero() {
		return ""
	}
	return h.SRI()
}

// Compress XOR-folds h's digest into size bytes, as Nix's compressHash does
// to turn a sha256 into the 20-byte hash part of a store path. Byte i of the
// digest is XORed into byte i mod size of the result.
func (h Hash) Compress(size int) []byte {
	return Compress(h.d(), size)
}

// Compress XOR-folds digest into size bytes; see Hash.Compress.
func Compress(digest []byte, size int) []byte {
	out := make([]byte, size)
	for i, c := range digest {
		out[i%size] ^= c
	}
	return out
}
