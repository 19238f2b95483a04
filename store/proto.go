package store

import (
	"fmt"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store/storepb"
)

// Conversions between PathInfo and its protobuf message. FromProto
// validates: a message from the wire is untrusted.

// ToProto converts p to its protobuf message.
func (p *PathInfo) ToProto() *storepb.PathInfo {
	ni := &storepb.NARInfo{
		NarSize:   p.NarSize,
		NarSha256: p.NarSHA256[:],
	}
	pp := &storepb.PathInfo{
		Node:    castore.NodeToProto(p.StorePath.String(), p.Node),
		Narinfo: ni,
	}
	for _, r := range p.References {
		pp.References = append(pp.References, r.Digest[:])
		ni.ReferenceNames = append(ni.ReferenceNames, r.String())
	}
	for _, s := range p.Signatures {
		name, raw, err := splitSignature(s)
		if err != nil {
			continue // Validate rejects these; never put them on the wire
		}
		ni.Signatures = append(ni.Signatures, &storepb.NARInfo_Signature{Name: name, Data: raw})
	}
	if !p.Deriver.IsZero() {
		// The wire form drops the .drv suffix.
		name := p.Deriver.Name
		if len(name) > len(storepath.DrvExtension) && name[len(name)-len(storepath.DrvExtension):] == storepath.DrvExtension {
			name = name[:len(name)-len(storepath.DrvExtension)]
		}
		ni.Deriver = &storepb.StorePath{Name: name, Digest: p.Deriver.Digest[:]}
	}
	if !p.CA.Hash.IsZero() {
		ni.Ca = caToProto(p.CA)
	}
	return pp
}

// FromProto converts and validates a PathInfo message.
func FromProto(pp *storepb.PathInfo) (*PathInfo, error) {
	if pp.GetNode() == nil {
		return nil, fmt.Errorf("%w: path info without a root node", ErrInvalid)
	}
	name, node, err := castore.NodeFromProto(pp.GetNode())
	if err != nil {
		return nil, fmt.Errorf("path info: root node: %w", err)
	}
	sp, err := storepath.ParseBase(name)
	if err != nil {
		return nil, fmt.Errorf("%w: path info: root node name %q is not a store path: %w", ErrInvalid, clip(name), err)
	}
	ni := pp.GetNarinfo()
	if ni == nil {
		return nil, fmt.Errorf("%w: path info %s without narinfo", ErrInvalid, sp)
	}
	p := &PathInfo{StorePath: sp, Node: node, NarSize: ni.GetNarSize()}
	if len(ni.GetNarSha256()) != len(p.NarSHA256) {
		return nil, fmt.Errorf("%w: path info %s: nar_sha256 is %d bytes, want 32", ErrInvalid, sp, len(ni.GetNarSha256()))
	}
	copy(p.NarSHA256[:], ni.GetNarSha256())

	refs, names := pp.GetReferences(), ni.GetReferenceNames()
	if len(refs) != len(names) {
		return nil, fmt.Errorf("%w: path info %s: %d references but %d reference names", ErrInvalid, sp, len(refs), len(names))
	}
	for i, ref := range refs {
		if len(ref) != storepath.DigestSize {
			return nil, fmt.Errorf("%w: path info %s: reference %d is %d bytes, want %d", ErrInvalid, sp, i, len(ref), storepath.DigestSize)
		}
		r, err := storepath.ParseBase(names[i])
		if err != nil {
			return nil, fmt.Errorf("%w: path info %s: reference name %d: %w", ErrInvalid, sp, i, err)
		}
		if string(r.Digest[:]) != string(ref) {
			return nil, fmt.Errorf("%w: path info %s: reference %d: name %s does not match its digest", ErrInvalid, sp, i, r)
		}
		p.References = append(p.References, r)
	}
	for i, s := range ni.GetSignatures() {
		if s.GetName() == "" || len(s.GetData()) != 64 {
			return nil, fmt.Errorf("%w: path info %s: signature %d is not a named 64-byte ed25519 signature", ErrInvalid, sp, i)
		}
		p.Signatures = append(p.Signatures, s.GetName()+":"+b64(s.GetData()))
	}
	if d := ni.GetDeriver(); d != nil {
		if len(d.GetDigest()) != storepath.DigestSize {
			return nil, fmt.Errorf("%w: path info %s: deriver digest is %d bytes", ErrInvalid, sp, len(d.GetDigest()))
		}
		drv, err := storepath.New([storepath.DigestSize]byte(d.GetDigest()), d.GetName()+storepath.DrvExtension)
		if err != nil {
			return nil, fmt.Errorf("%w: path info %s: deriver: %w", ErrInvalid, sp, err)
		}
		p.Deriver = drv
	}
	if ca := ni.GetCa(); ca != nil {
		p.CA, err = caFromProto(ca)
		if err != nil {
			return nil, fmt.Errorf("%w: path info %s: %w", ErrInvalid, sp, err)
		}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

type caKind struct {
	text   bool
	method storepath.Method
	algo   nixhash.Algorithm
}

var caKinds = map[storepb.NARInfo_CA_Hash]caKind{
	storepb.NARInfo_CA_NAR_SHA256:  {method: storepath.Recursive, algo: nixhash.SHA256},
	storepb.NARInfo_CA_NAR_SHA1:    {method: storepath.Recursive, algo: nixhash.SHA1},
	storepb.NARInfo_CA_NAR_SHA512:  {method: storepath.Recursive, algo: nixhash.SHA512},
	storepb.NARInfo_CA_NAR_MD5:     {method: storepath.Recursive, algo: nixhash.MD5},
	storepb.NARInfo_CA_TEXT_SHA256: {text: true, algo: nixhash.SHA256},
	storepb.NARInfo_CA_FLAT_SHA1:   {method: storepath.Flat, algo: nixhash.SHA1},
	storepb.NARInfo_CA_FLAT_MD5:    {method: storepath.Flat, algo: nixhash.MD5},
	storepb.NARInfo_CA_FLAT_SHA256: {method: storepath.Flat, algo: nixhash.SHA256},
	storepb.NARInfo_CA_FLAT_SHA512: {method: storepath.Flat, algo: nixhash.SHA512},
}

func caToProto(ca storepath.ContentAddress) *storepb.NARInfo_CA {
	want := caKind{text: ca.Text, method: ca.Method, algo: ca.Hash.Algorithm()}
	if ca.Text {
		want.method = 0
	}
	for t, k := range caKinds {
		if k == want {
			return &storepb.NARInfo_CA{Type: t, Digest: ca.Hash.Digest()}
		}
	}
	return nil
}

func caFromProto(c *storepb.NARInfo_CA) (storepath.ContentAddress, error) {
	k, ok := caKinds[c.GetType()]
	if !ok {
		return storepath.ContentAddress{}, fmt.Errorf("unknown content address type %d", c.GetType())
	}
	h, err := nixhash.New(k.algo, c.GetDigest())
	if err != nil {
		return storepath.ContentAddress{}, fmt.Errorf("content address: %w", err)
	}
	return storepath.ContentAddress{Text: k.text, Method: k.method, Hash: h}, nil
}
