// Package nixbase32 implements the base-32 encoding Nix uses for store path
// hash parts and for hashes printed in "nix32" form.
//
// It is not RFC 4648 base 32: the alphabet is 0123456789abcdfghijklmnpqrsvwxyz
// (digits and lower-case letters without e, o, u and t), and the bytes are
// read from the end, so that the first character of the encoding holds the
// most significant bits of the last byte. Decoding is strict: only the
// encoded lengths Nix produces are accepted, and the bits of the first
// character that lie beyond the decoded bytes must be zero, as Nix requires.
package nixbase32

import (
	"fmt"
)

// Alphabet is Nix's base-32 alphabet, in digit order.
const Alphabet = "0123456789abcdfghijklmnpqrsvwxyz"

// invalid marks bytes outside the alphabet in decodeMap.
const invalid = 0xff

var decodeMap = func() [256]byte {
	var m [256]byte
	for i := range m {
		m[i] = invalid
	}
	for i := 0; i < len(Alphabet); i++ {
		m[Alphabet[i]] = byte(i)
	}
	return m
}()

// EncodedLen returns the length of the encoding of n bytes.
func EncodedLen(n int) int {
	if n <= 0 {
		return 0
	}
	return (n*8-1)/5 + 1
}

// DecodedLen returns the number of bytes that an encoding of length n
// decodes to. Not every n is a valid encoded length; see ValidLen.
func DecodedLen(n int) int {
	return n * 5 / 8
}

// ValidLen reports whether n is the length of some encoding, that is,
// whether EncodedLen(DecodedLen(n)) == n.
func ValidLen(n int) bool {
	return n >= 0 && EncodedLen(DecodedLen(n)) == n
}

// Encode writes the encoding of src to dst, which must have room for
// EncodedLen(len(src)) bytes.
func Encode(dst, src []byte) {
	n := EncodedLen(len(src))
	dst = dst[:n] // one bounds check up front
	for k := 0; k < n; k++ {
		// The character at position k holds bits b..b+4 of src, counted
		// from the least significant bit of src[0], with b = 5*(n-1-k).
		b := uint(n-1-k) * 5
		i := b / 8
		j := b % 8
		c := src[i] >> j
		if int(i)+1 < len(src) {
			c |= src[i+1] << (8 - j)
		}
		dst[k] = Alphabet[c&0x1f]
	}
}

// EncodeToString returns the encoding of src.
func EncodeToString(src []byte) string {
	dst := make([]byte, EncodedLen(len(src)))
	Encode(dst, src)
	return string(dst)
}

// AppendEncode appends the encoding of src to dst and returns the result.
func AppendEncode(dst, src []byte) []byte {
	n := EncodedLen(len(src))
	dst = grow(dst, n)
	Encode(dst[len(dst)-n:], src)
	return dst
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// A CorruptInputError reports invalid encoded input. Offset is the byte
// offset of the offending character, or the input length when the length
// itself is wrong.
type CorruptInputError struct {
	Offset int
	Reason string
}

func (e *CorruptInputError) Error() string {
	return fmt.Sprintf("invalid nix base-32 data at offset %d: %s", e.Offset, e.Reason)
}

// Decode decodes src into dst, which must have room for
// DecodedLen(len(src)) bytes, and returns the number of bytes written.
// It rejects characters outside the alphabet, lengths that no encoding
// has, and non-zero padding bits in the first character.
func Decode(dst, src []byte) (int, error) {
	return decode(dst, src)
}

// DecodeString returns the bytes that s encodes.
func DecodeString(s string) ([]byte, error) {
	dst := make([]byte, DecodedLen(len(s)))
	n, err := decode(dst, s)
	if err != nil {
		return nil, err
	}
	return dst[:n], nil
}

// AppendDecode appends the bytes that src encodes to dst. On error dst is
// returned unchanged.
func AppendDecode(dst, src []byte) ([]byte, error) {
	n := DecodedLen(len(src))
	out := grow(dst, n)
	if _, err := decode(out[len(dst):], src); err != nil {
		return dst, err
	}
	return out, nil
}

// Validate reports whether s is a valid encoding, without allocating.
func Validate(s string) error {
	if !ValidLen(len(s)) {
		return &CorruptInputError{Offset: len(s), Reason: fmt.Sprintf("length %d is not the length of an encoding", len(s))}
	}
	var buf [64]byte
	if n := DecodedLen(len(s)); n <= len(buf) {
		_, err := decode(buf[:n], s)
		return err
	}
	_, err := DecodeString(s)
	return err
}

func decode[S string | []byte](dst []byte, src S) (int, error) {
	if !ValidLen(len(src)) {
		return 0, &CorruptInputError{Offset: len(src), Reason: fmt.Sprintf("length %d is not the length of an encoding", len(src))}
	}
	n := DecodedLen(len(src))
	dst = dst[:n]
	clear(dst)
	last := len(src) - 1
	for k := 0; k < len(src); k++ {
		// Walk from the end: the last character holds the lowest bits.
		pos := last - k
		c := src[pos]
		digit := decodeMap[c]
		if digit == invalid {
			return 0, &CorruptInputError{Offset: pos, Reason: fmt.Sprintf("invalid character %q", rune(c))}
		}
		b := uint(k) * 5
		i := b / 8
		j := b % 8
		dst[i] |= digit << j
		carry := digit >> (8 - j)
		if int(i)+1 < n {
			dst[i+1] |= carry
		} else if carry != 0 {
			return 0, &CorruptInputError{Offset: pos, Reason: "non-zero padding bits"}
		}
	}
	return n, nil
}
