package nixhash

import (
	"strings"

	"github.com/govix/govix/nixcompat/nixbase32"
)

// ParseAny parses a hash in any form Nix accepts: "algo:digest" (digest in
// base16, nix32 or base64), SRI "algo-base64", or a bare digest when algo
// is given. algo may be 0 when it is not known from context; when both the
// string and algo name an algorithm they must agree. This is Nix's
// Hash::parseAny.
func ParseAny(s string, algo Algorithm) (Hash, error) {
	rest, parsed, isSRI, err := splitAlgo(s)
	if err != nil {
		return Hash{}, err
	}
	switch {
	case parsed == 0 && algo == 0:
		return Hash{}, errorf("hash '%s' does not include a type, nor is the type otherwise known from context", rest)
	case parsed != 0 && algo != 0 && parsed != algo:
		return Hash{}, errorf("hash '%s' should have type '%s'", s, algo)
	case parsed == 0:
		parsed = algo
	}
	if !parsed.Valid() {
		return Hash{}, errorf("invalid hash algorithm %d", parsed)
	}
	return parseDigest(rest, parsed, isSRI)
}

// ParseAnyPrefixed is like ParseAny but requires the string to name its
// algorithm, as "algo:digest" or SRI. This is Nix's Hash::parseAnyPrefixed.
func ParseAnyPrefixed(s string) (Hash, error) {
	rest, parsed, isSRI, err := splitAlgo(s)
	if err != nil {
		return Hash{}, err
	}
	if parsed == 0 {
		return Hash{}, errorf("hash '%s' does not include a type", rest)
	}
	return parseDigest(rest, parsed, isSRI)
}

// ParseNonSRIUnprefixed parses a bare digest of algorithm algo in base16,
// nix32 or base64 (told apart by length). This is how Nix reads the hash of
// a fixed output in a derivation: Hash::parseNonSRIUnprefixed.
func ParseNonSRIUnprefixed(s string, algo Algorithm) (Hash, error) {
	if !algo.Valid() {
		return Hash{}, errorf("invalid hash algorithm %d", algo)
	}
	return parseDigest(s, algo, false)
}

// ParseSRI parses an SRI hash, "algo-base64". This is Nix's Hash::parseSRI.
func ParseSRI(s string) (Hash, error) {
	name, rest, ok := strings.Cut(s, "-")
	if !ok {
		return Hash{}, errorf("hash '%s' is not SRI", s)
	}
	algo, err := ParseAlgorithm(name)
	if err != nil {
		return Hash{}, err
	}
	return parseDigest(rest, algo, true)
}

// splitAlgo removes an "algo:" or SRI "algo-" prefix from s, as Nix's
// getParsedTypeAndSRI does: the first ':' wins, else the first '-'.
func splitAlgo(s string) (rest string, algo Algorithm, isSRI bool, err error) {
	name, rest, ok := strings.Cut(s, ":")
	if !ok {
		name, rest, ok = strings.Cut(s, "-")
		if !ok {
			return s, 0, false, nil
		}
		isSRI = true
	}
	algo, err = ParseAlgorithm(name)
	return rest, algo, isSRI, err
}

// parseDigest decodes an unprefixed digest of algorithm algo. SRI digests
// are always base64; otherwise the length selects the encoding.
func parseDigest(s string, algo Algorithm, isSRI bool) (Hash, error) {
	h := Hash{algo: algo}
	d := h.digest[:algo.Size()]
	switch {
	case !isSRI && len(s) == algo.base16Len():
		for i := range d {
			hi, ok1 := fromHex(s[2*i])
			lo, ok2 := fromHex(s[2*i+1])
			if !ok1 || !ok2 {
				return Hash{}, errorf("invalid base-16 hash '%s'", s)
			}
			d[i] = hi<<4 | lo
		}
	case !isSRI && len(s) == algo.nix32Len():
		if _, err := nixbase32.Decode(d, []byte(s)); err != nil {
			return Hash{}, errorf("invalid base-32 hash '%s'", s)
		}
	case isSRI || len(s) == algo.base64Len():
		n, err := decodeBase64Lenient(d, s)
		if err != nil {
			return Hash{}, err
		}
		if n != len(d) {
			what := "base-64"
			if isSRI {
				what = "SRI"
			}
			return Hash{}, errorf("invalid %s hash '%s'", what, s)
		}
	default:
		return Hash{}, errorf("hash '%s' has wrong length for hash type '%s'", s, algo)
	}
	return h, nil
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

var base64Map = func() [256]byte {
	var m [256]byte
	for i := range m {
		m[i] = 0xff
	}
	for i := 0; i < len(base64Alphabet); i++ {
		m[base64Alphabet[i]] = byte(i)
	}
	return m
}()

// decodeBase64Lenient decodes base64 the way Nix 2.8's base64Decode does:
// decoding stops at the first '=', newlines are skipped, leftover bits are
// dropped, and any other character outside the alphabet is an error. It
// writes at most len(dst) bytes and returns how many the input holds, so
// the caller can reject a digest of the wrong size. Matching Nix here means
// govix accepts exactly the SRI hashes Nix accepts.
func decodeBase64Lenient(dst []byte, s string) (int, error) {
	var acc uint32
	bits, n := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' {
			break
		}
		if c == '\n' {
			continue
		}
		v := base64Map[c]
		if v == 0xff {
			return 0, errorf("invalid character in Base64 string: '%c'", c)
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			if n < len(dst) {
				dst[n] = byte(acc >> bits)
			}
			n++
			acc &= 1<<bits - 1
		}
	}
	return n, nil
}
