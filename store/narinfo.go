package store

import (
	"fmt"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/narinfo"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
)

// NarInfo returns the narinfo of p for a binary cache serving its NAR
// uncompressed at url, with paths in storeDir.
func (p *PathInfo) NarInfo(storeDir storepath.StoreDir, url string) *narinfo.NarInfo {
	h := p.NarHash()
	return &narinfo.NarInfo{
		StoreDir:    storeDir,
		StorePath:   p.StorePath,
		URL:         url,
		Compression: "none",
		FileHash:    h,
		FileSize:    p.NarSize,
		NarHash:     h,
		NarSize:     p.NarSize,
		References:  p.References,
		Deriver:     p.Deriver,
		Signatures:  p.Signatures,
		CA:          p.CA,
	}
}

// FromNarInfo returns the PathInfo a narinfo describes, for the contents
// root (which must be the NAR's, as IngestNAR returned it).
func FromNarInfo(ni *narinfo.NarInfo, root castore.Node) (*PathInfo, error) {
	if ni.NarHash.Algorithm() != nixhash.SHA256 {
		return nil, fmt.Errorf("%w: narinfo of %s: NarHash is not sha256", ErrInvalid, ni.StorePath)
	}
	p := &PathInfo{
		StorePath:  ni.StorePath,
		Node:       root,
		References: ni.References,
		NarSize:    ni.NarSize,
		Signatures: ni.Signatures,
		Deriver:    ni.Deriver,
		CA:         ni.CA,
	}
	copy(p.NarSHA256[:], ni.NarHash.Digest())
	p = p.Clone()
	p.Normalize()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Fingerprint returns what narinfo signatures of p sign, for paths in
// storeDir.
func (p *PathInfo) Fingerprint(storeDir storepath.StoreDir) (string, error) {
	return narinfo.Fingerprint(storeDir, p.StorePath, p.NarHash(), p.NarSize, p.References)
}

// VerifySignatures returns how many of p's signatures are valid signatures
// of its fingerprint by keys.
func (p *PathInfo) VerifySignatures(storeDir storepath.StoreDir, keys []narinfo.PublicKey) (int, error) {
	return p.NarInfo(storeDir, "").Verify(keys...)
}

// Sign adds k's signature of p's fingerprint, replacing an earlier one by
// the same key name.
func (p *PathInfo) Sign(storeDir storepath.StoreDir, k narinfo.SecretKey) error {
	ni := p.NarInfo(storeDir, "")
	if err := ni.Sign(k); err != nil {
		return err
	}
	p.Signatures = ni.Signatures
	p.Normalize()
	return nil
}
