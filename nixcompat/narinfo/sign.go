package narinfo

import (
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrBadKey is matched (with errors.Is) by errors about malformed keys and
// signatures.
var ErrBadKey = errors.New("bad key or signature")

// SecretKey is a named ed25519 signing key in Nix's format: "name:base64"
// of the 64-byte private key (seed and public key), as written by
// nix-store --generate-binary-cache-key.
type SecretKey struct {
	Name string
	Key  ed25519.PrivateKey
}

// PublicKey is a named ed25519 verification key, "name:base64" of its 32
// bytes, as in Nix's trusted-public-keys setting.
type PublicKey struct {
	Name string
	Key  ed25519.PublicKey
}

// splitKey splits "name:base64" as Nix's Key constructor does, at the first
// colon, and decodes the key. Line breaks around it are ignored (key files
// often end in one).
func splitKey(s, what string) (string, []byte, error) {
	s = strings.TrimSpace(s)
	name, data, ok := strings.Cut(s, ":")
	if !ok || name == "" || data == "" {
		return "", nil, fmt.Errorf("%w: %s is not \"name:base64\"", ErrBadKey, what)
	}
	key, err := decodeBase64(data)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %s %q: %v", ErrBadKey, what, name, err)
	}
	return name, key, nil
}

// decodeBase64 accepts standard base64 with or without padding, as Nix's
// decoder does.
func decodeBase64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// ParseSecretKey parses a secret key file's contents.
func ParseSecretKey(s string) (SecretKey, error) {
	name, key, err := splitKey(s, "secret key")
	if err != nil {
		return SecretKey{}, err
	}
	if len(key) != ed25519.PrivateKeySize {
		return SecretKey{}, fmt.Errorf("%w: secret key %q is %d bytes, not %d", ErrBadKey, name, len(key), ed25519.PrivateKeySize)
	}
	// The second half must be the public key of the first, or every
	// signature would be wrong.
	derived := ed25519.NewKeyFromSeed(key[:ed25519.SeedSize])
	if subtle.ConstantTimeCompare(derived, key) != 1 {
		return SecretKey{}, fmt.Errorf("%w: secret key %q does not hold its own public key", ErrBadKey, name)
	}
	return SecretKey{Name: name, Key: ed25519.PrivateKey(key)}, nil
}

// ParsePublicKey parses a public key, "name:base64".
func ParsePublicKey(s string) (PublicKey, error) {
	name, key, err := splitKey(s, "public key")
	if err != nil {
		return PublicKey{}, err
	}
	if len(key) != ed25519.PublicKeySize {
		return PublicKey{}, fmt.Errorf("%w: public key %q is %d bytes, not %d", ErrBadKey, name, len(key), ed25519.PublicKeySize)
	}
	return PublicKey{Name: name, Key: ed25519.PublicKey(key)}, nil
}

// GenerateKey makes a new key pair named name, reading randomness from
// rand (crypto/rand.Reader if nil).
func GenerateKey(name string, rand io.Reader) (SecretKey, error) {
	if name == "" || strings.Contains(name, ":") {
		return SecretKey{}, fmt.Errorf("%w: key name %q must be non-empty and without ':'", ErrBadKey, name)
	}
	_, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return SecretKey{}, err
	}
	return SecretKey{Name: name, Key: priv}, nil
}

// String returns the key in Nix's file format.
func (k SecretKey) String() string {
	return k.Name + ":" + base64.StdEncoding.EncodeToString(k.Key)
}

// PublicKey returns the public half of k.
func (k SecretKey) PublicKey() PublicKey {
	return PublicKey{Name: k.Name, Key: k.Key.Public().(ed25519.PublicKey)}
}

// Sign returns the signature of data as Nix writes it: "name:base64".
func (k SecretKey) Sign(data string) string {
	return k.Name + ":" + base64.StdEncoding.EncodeToString(ed25519.Sign(k.Key, []byte(data)))
}

// String returns the key in Nix's format.
func (k PublicKey) String() string {
	return k.Name + ":" + base64.StdEncoding.EncodeToString(k.Key)
}

// ParseSignature splits a signature "name:base64" into the key name and
// the 64-byte ed25519 signature.
func ParseSignature(sig string) (name string, raw []byte, err error) {
	name, data, ok := strings.Cut(sig, ":")
	if !ok || name == "" || data == "" {
		return "", nil, fmt.Errorf("%w: signature %q is not \"name:base64\"", ErrBadKey, clip(sig))
	}
	raw, err = decodeBase64(data)
	if err != nil {
		return "", nil, fmt.Errorf("%w: signature by %q: %v", ErrBadKey, name, err)
	}
	if len(raw) != ed25519.SignatureSize {
		return "", nil, fmt.Errorf("%w: signature by %q is %d bytes, not %d", ErrBadKey, name, len(raw), ed25519.SignatureSize)
	}
	return name, raw, nil
}

// Verify reports whether sig is a valid signature of data by one of keys
// (the one with the signature's name), as Nix's verifyDetached. A
// signature by an unknown key is not valid; a malformed one is an error.
func Verify(data, sig string, keys []PublicKey) (bool, error) {
	name, raw, err := ParseSignature(sig)
	if err != nil {
		return false, err
	}
	for _, k := range keys {
		if k.Name == name {
			return ed25519.Verify(k.Key, []byte(data), raw), nil
		}
	}
	return false, nil
}

// Sign adds k's signature of the fingerprint to ni, replacing an earlier
// signature by the same key name.
func (ni *NarInfo) Sign(k SecretKey) error {
	fp, err := ni.Fingerprint()
	if err != nil {
		return err
	}
	sigs := ni.Signatures[:0:0]
	for _, s := range ni.Signatures {
		if name, _, _ := strings.Cut(s, ":"); name != k.Name {
			sigs = append(sigs, s)
		}
	}
	ni.Signatures = append(sigs, k.Sign(fp))
	return nil
}

// Verify returns how many of ni's signatures are valid signatures of its
// fingerprint by keys, as Nix's checkSignatures counts them; a path is
// trusted when it is at least one.
func (ni *NarInfo) Verify(keys ...PublicKey) (int, error) {
	fp, err := ni.Fingerprint()
	if err != nil {
		return 0, err
	}
	valid := 0
	for _, s := range sortedSet(ni.Signatures) {
		ok, err := Verify(fp, s, keys)
		if err != nil {
			return valid, err
		}
		if ok {
			valid++
		}
	}
	return valid, nil
}
