package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
)

// Errors reported by services and validation; test with errors.Is. They are
// castore's, so one check covers a missing PathInfo and a missing blob.
var (
	// ErrNotFound: no PathInfo (or blob, or directory) under that name.
	ErrNotFound = castore.ErrNotFound
	// ErrInvalid: a PathInfo or argument breaks the data model's rules.
	ErrInvalid = castore.ErrInvalid
	// ErrCorrupt: bytes do not match the hash or size they are said to have.
	ErrCorrupt = castore.ErrCorrupt
	// ErrReadOnly: the service does not accept Put.
	ErrReadOnly = errors.New("read-only store")
)

// PathInfo describes one store path: where its contents are in the castore
// (Node), what it refers to, and the metadata Nix keeps in .narinfo files.
type PathInfo struct {
	// StorePath is the path described; the root node carries its base
	// name on the wire.
	StorePath storepath.StorePath
	// Node is the root of the contents: a directory, file or symlink.
	Node castore.Node
	// References are the store paths the contents refer to, sorted and
	// without duplicates (see Normalize).
	References []storepath.StorePath
	// NarSize and NarSHA256 describe the NAR serialisation of Node.
	NarSize   uint64
	NarSHA256 [sha256.Size]byte
	// Signatures are narinfo signatures, "keyname:base64", of the
	// path's fingerprint.
	Signatures []string
	// Deriver is the store derivation that produced the path; zero if
	// unknown.
	Deriver storepath.StorePath
	// CA is the content address of a content-addressed path; zero if the
	// path is input-addressed.
	CA storepath.ContentAddress
}

// NarHash returns the NAR sha256 as a nixhash.Hash.
func (p *PathInfo) NarHash() nixhash.Hash {
	h, _ := nixhash.New(nixhash.SHA256, p.NarSHA256[:])
	return h
}

// Clone returns a deep copy of p.
func (p *PathInfo) Clone() *PathInfo {
	c := *p
	c.References = slices.Clone(p.References)
	c.Signatures = slices.Clone(p.Signatures)
	return &c
}

// Normalize sorts and deduplicates the references and signatures, the
// canonical form in which services store and return a PathInfo.
func (p *PathInfo) Normalize() {
	p.References = storepath.SortedSet(p.References)
	slices.Sort(p.Signatures)
	p.Signatures = slices.Compact(p.Signatures)
}

// Validate checks everything that can be checked without the castore: a
// valid store path and root node, valid references, deriver and
// signatures, and a content address whose hash is set.
func (p *PathInfo) Validate() error {
	if p.StorePath.IsZero() {
		return fmt.Errorf("%w: path info without a store path", ErrInvalid)
	}
	if err := storepath.ValidateName(p.StorePath.Name); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := p.Node.Validate(); err != nil {
		return fmt.Errorf("path info %s: root node: %w", p.StorePath, err)
	}
	for _, r := range p.References {
		if err := storepath.ValidateName(r.Name); err != nil {
			return fmt.Errorf("%w: path info %s: reference: %w", ErrInvalid, p.StorePath, err)
		}
	}
	if !p.Deriver.IsZero() {
		if err := storepath.ValidateName(p.Deriver.Name); err != nil {
			return fmt.Errorf("%w: path info %s: deriver: %w", ErrInvalid, p.StorePath, err)
		}
	}
	for _, s := range p.Signatures {
		if _, _, err := splitSignature(s); err != nil {
			return fmt.Errorf("%w: path info %s: %w", ErrInvalid, p.StorePath, err)
		}
	}
	if !p.CA.Hash.IsZero() && caToProto(p.CA) == nil {
		return fmt.Errorf("%w: path info %s: content address %s has no wire form", ErrInvalid, p.StorePath, p.CA)
	}
	return nil
}

// splitSignature parses "name:base64" of a 64-byte ed25519 signature.
func splitSignature(s string) (string, []byte, error) {
	name, b64, ok := bytes.Cut([]byte(s), []byte{':'})
	if !ok || len(name) == 0 {
		return "", nil, fmt.Errorf("signature %q is not name:base64", clip(s))
	}
	raw, err := base64.StdEncoding.DecodeString(string(b64))
	if err != nil || len(raw) != 64 {
		return "", nil, fmt.Errorf("signature %q is not a base64 ed25519 signature", clip(s))
	}
	return string(name), raw, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
