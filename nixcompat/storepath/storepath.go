// Package storepath parses, validates, prints and computes Nix store paths:
// "/nix/store/<hash>-<name>", where <hash> is 20 bytes in Nix's base 32 and
// <name> is a restricted human-readable name.
//
// Validation follows Nix 2.8 (src/libstore/path.cc): a name is 1 to 211
// characters from [A-Za-z0-9+\-._?=]. Nix 2.8 has no special rule for names
// starting with a dot — ".", ".." and ".foo" are all valid names there, and
// nix-store --add gives them store paths — so this package accepts them too.
// One deliberate difference: Nix 2.8 does not check the character after the
// 32-character hash part, so it would parse "<hash>_foo" as the name "foo";
// no path Nix creates looks like that, and this package requires the '-'.
//
// Computing paths follows Nix 2.8's Store::makeStorePath and friends in
// src/libstore/store-api.cc: a fingerprint "<type>:sha256:<hex>:<storedir>:<name>"
// is hashed with sha256 and XOR-folded to 20 bytes.
package storepath

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/govix/govix/nixcompat/nixbase32"
)

const (
	// DigestSize is the size of a store path's hash part in bytes.
	DigestSize = 20
	// EncodedDigestLen is the length of the hash part in Nix's base 32.
	EncodedDigestLen = 32
	// MaxNameLen is the longest name Nix allows.
	MaxNameLen = 211
	// DrvExtension is the suffix of the names of store derivations.
	DrvExtension = ".drv"
)

// ErrBadStorePath is matched (with errors.Is) by every validation error
// this package returns.
var ErrBadStorePath = errors.New("bad store path")

type badPath struct{ msg string }

func (e *badPath) Error() string        { return e.msg }
func (e *badPath) Is(target error) bool { return target == ErrBadStorePath }

func errorf(format string, args ...any) error {
	return &badPath{msg: fmt.Sprintf(format, args...)}
}

// StorePath is a store path without its store directory: a 20-byte digest
// and a name. It is a comparable value and can be a map key. The zero
// StorePath (empty name) is not a valid path and is reported by IsZero.
type StorePath struct {
	Digest [DigestSize]byte
	Name   string
}

// New returns the store path with the given digest and name, checking the
// name as Nix does.
func New(digest [DigestSize]byte, name string) (StorePath, error) {
	p := StorePath{Digest: digest, Name: name}
	if err := checkName(p.String(), name); err != nil {
		return StorePath{}, err
	}
	return p, nil
}

// ValidateName checks a store path name as Nix 2.8 does: non-empty, at most
// 211 characters, only [A-Za-z0-9+\-._?=].
func ValidateName(name string) error {
	return checkName(name, name)
}

// nameChars[c] is true for the bytes allowed in a name.
var nameChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "+-._?=" {
		t[c] = true
	}
	return t
}()

// checkName validates name; what is the text errors quote (the whole path
// when there is one), as in Nix's messages.
func checkName(what, name string) error {
	if name == "" {
		return errorf("store path '%s' has an empty name", what)
	}
	if len(name) > MaxNameLen {
		return errorf("store path '%s' has a name longer than %d characters", what, MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if !nameChars[name[i]] {
			return errorf("store path '%s' contains illegal character '%s'", what, quoteByte(name[i]))
		}
	}
	return nil
}

// quoteByte shows a byte in an error message: itself when printable, else
// a Go escape, so that a NUL or newline in a name cannot garble the message.
func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return string(rune(c))
	}
	return strings.Trim(fmt.Sprintf("%q", string([]byte{c})), `"`)
}

// ParseBase parses a store path's base name, "<hash>-<name>", as Nix's
// StorePath constructor does.
func ParseBase(base string) (StorePath, error) {
	var p StorePath
	if len(base) < EncodedDigestLen+1 {
		return p, errorf("'%s' is too short to be a valid store path", base)
	}
	for i := 0; i < EncodedDigestLen; i++ {
		if strings.IndexByte(nixbase32.Alphabet, base[i]) < 0 {
			return StorePath{}, errorf("store path '%s' contains illegal base-32 character '%s'", base, quoteByte(base[i]))
		}
	}
	// 32 characters carry exactly 160 bits, so with valid characters
	// decoding cannot fail.
	if _, err := nixbase32.Decode(p.Digest[:], []byte(base[:EncodedDigestLen])); err != nil {
		return StorePath{}, errorf("store path '%s' has an invalid hash part: %v", base, err)
	}
	if base[EncodedDigestLen] != '-' {
		return StorePath{}, errorf("store path '%s' does not have a '-' after its hash part", base)
	}
	p.Name = base[EncodedDigestLen+1:]
	if err := checkName(base, p.Name); err != nil {
		return StorePath{}, err
	}
	return p, nil
}

// String returns the base name, "<hash>-<name>".
func (p StorePath) String() string {
	b := make([]byte, 0, EncodedDigestLen+1+len(p.Name))
	return string(p.AppendTo(b))
}

// AppendTo appends the base name to b.
func (p StorePath) AppendTo(b []byte) []byte {
	b = nixbase32.AppendEncode(b, p.Digest[:])
	b = append(b, '-')
	return append(b, p.Name...)
}

// HashPart returns the 32-character base-32 hash part.
func (p StorePath) HashPart() string {
	return nixbase32.EncodeToString(p.Digest[:])
}

// IsZero reports whether p is the zero StorePath.
func (p StorePath) IsZero() bool { return p.Name == "" && p.Digest == [DigestSize]byte{} }

// IsDerivation reports whether p names a store derivation (ends in .drv).
func (p StorePath) IsDerivation() bool { return strings.HasSuffix(p.Name, DrvExtension) }

// Compare orders store paths as Nix does, by their base names (and so by
// their printed form in one store directory). It returns -1, 0 or +1.
func (p StorePath) Compare(q StorePath) int {
	if p.Digest != q.Digest {
		// Nix compares the printed base names; the base-32 encoding
		// starts from the last byte, so compare the encodings.
		var a, b [EncodedDigestLen]byte
		nixbase32.Encode(a[:], p.Digest[:])
		nixbase32.Encode(b[:], q.Digest[:])
		return bytes.Compare(a[:], b[:])
	}
	return strings.Compare(p.Name, q.Name)
}
