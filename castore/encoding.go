package castore

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// The canonical protobuf encoding of tvix.castore.v1 messages, written by
// hand: it is on the hot path of every import and directory read, and writing
// it out makes the digest rule explicit. Fields appear in field-number order,
// proto3 defaults (empty bytes, zero, false) are omitted, varints are
// minimal. The generated code in castorepb produces the same bytes (tested).

// Protobuf wire types and the tags used here.
const (
	wireVarint = 0
	wireBytes  = 2

	tagDirDirectories = 1<<3 | wireBytes
	tagDirFiles       = 2<<3 | wireBytes
	tagDirSymlinks    = 3<<3 | wireBytes

	tagName       = 1<<3 | wireBytes // all three node messages
	tagDigest     = 2<<3 | wireBytes // DirectoryNode, FileNode
	tagTarget     = 2<<3 | wireBytes // SymlinkNode
	tagSize       = 3<<3 | wireVarint
	tagExecutable = 4<<3 | wireVarint
)

func varintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func bytesFieldLen(n int) int {
	if n == 0 {
		return 0
	}
	return 1 + varintLen(uint64(n)) + n
}

func appendBytesField(b []byte, tag byte, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, tag)
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// nodeBodyLen is the length of the node message (DirectoryNode, FileNode or
// SymlinkNode) for a node called name.
func nodeBodyLen(name string, n *Node) int {
	l := bytesFieldLen(len(name))
	switch n.Kind {
	case KindDirectory, KindFile:
		l += bytesFieldLen(DigestSize)
		if n.Size != 0 {
			l += 1 + varintLen(n.Size)
		}
		if n.Kind == KindFile && n.Executable {
			l += 2
		}
	case KindSymlink:
		l += bytesFieldLen(len(n.Target))
	}
	return l
}

func appendNodeBody(b []byte, name string, n *Node) []byte {
	b = appendBytesField(b, tagName, name)
	switch n.Kind {
	case KindDirectory, KindFile:
		b = append(b, tagDigest, DigestSize)
		b = append(b, n.Digest[:]...)
		if n.Size != 0 {
			b = append(b, tagSize)
			b = binary.AppendUvarint(b, n.Size)
		}
		if n.Kind == KindFile && n.Executable {
			b = append(b, tagExecutable, 1)
		}
	case KindSymlink:
		b = appendBytesField(b, tagTarget, n.Target)
	}
	return b
}

// EncodedLen is the length of d's canonical encoding.
func (d *Directory) EncodedLen() int {
	l := 0
	for i := range d.Entries {
		e := &d.Entries[i]
		body := nodeBodyLen(e.Name, &e.Node)
		l += 1 + varintLen(uint64(body)) + body
	}
	return l
}

// Marshal returns d's canonical protobuf encoding, the bytes its digest is
// computed over.
func (d *Directory) Marshal() []byte { return d.AppendMarshal(make([]byte, 0, d.EncodedLen())) }

// AppendMarshal appends d's canonical encoding to b.
func (d *Directory) AppendMarshal(b []byte) []byte {
	for _, k := range [...]struct {
		kind Kind
		tag  byte
	}{{KindDirectory, tagDirDirectories}, {KindFile, tagDirFiles}, {KindSymlink, tagDirSymlinks}} {
		for i := range d.Entries {
			e := &d.Entries[i]
			if e.Kind != k.kind {
				continue
			}
			b = append(b, k.tag)
			b = binary.AppendUvarint(b, uint64(nodeBodyLen(e.Name, &e.Node)))
			b = appendNodeBody(b, e.Name, &e.Node)
		}
	}
	return b
}

// MarshalNode returns the canonical encoding of a Node message (the oneof
// wrapper) for a node called name; name is empty for a root node.
func MarshalNode(name string, n Node) []byte {
	body := nodeBodyLen(name, &n)
	b := make([]byte, 0, 1+varintLen(uint64(body))+body)
	b = append(b, byte(n.Kind)<<3|wireBytes) // the oneof's field numbers equal the Kind values
	b = binary.AppendUvarint(b, uint64(body))
	return appendNodeBody(b, name, &n)
}

// UnmarshalDirectory decodes and validates a Directory. It accepts only the
// canonical encoding, so that the result's Digest is the BLAKE3 digest of b:
// unknown fields, repeated or out-of-order fields, explicit default values,
// non-minimal varints and unsorted or duplicate entries are all errors.
func UnmarshalDirectory(b []byte) (*Directory, error) {
	d := &Directory{}
	var lastField uint64
	for p := b; len(p) > 0; {
		field, body, rest, err := nextBytesField(p)
		if err != nil {
			return nil, err
		}
		if field < 1 || field > 3 {
			return nil, fmt.Errorf("%w: Directory: unknown field %d", ErrInvalid, field)
		}
		if field < lastField {
			return nil, fmt.Errorf("%w: Directory: field %d after field %d (not canonical)", ErrInvalid, field, lastField)
		}
		lastField = field
		name, n, err := unmarshalNodeBody(Kind(field), body)
		if err != nil {
			return nil, fmt.Errorf("Directory entry: %w", err)
		}
		if err := ValidateName(name); err != nil {
			return nil, err
		}
		d.Entries = append(d.Entries, Entry{Name: name, Node: n})
		p = rest
	}
	// Each of the three lists must be sorted with unique names on its own
	// (which the encoding shows as the order entries of one kind arrive in).
	for i := 1; i < len(d.Entries); i++ {
		prev, e := &d.Entries[i-1], &d.Entries[i]
		if prev.Kind == e.Kind && prev.Name >= e.Name {
			if prev.Name == e.Name {
				return nil, fmt.Errorf("%w: duplicate name %q", ErrInvalid, e.Name)
			}
			return nil, fmt.Errorf("%w: %s entries not sorted: %q after %q", ErrInvalid, e.Kind, e.Name, prev.Name)
		}
	}
	// Merge the three lists into one sorted by name; names must be unique
	// across them, which Validate checks.
	if !slices.IsSortedFunc(d.Entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) }) {
		slices.SortStableFunc(d.Entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// UnmarshalNode decodes a Node message (the oneof wrapper), strictly as
// UnmarshalDirectory does, returning the name (empty for a root node) and the
// validated node.
func UnmarshalNode(b []byte) (string, Node, error) {
	field, body, rest, err := nextBytesField(b)
	if err != nil {
		return "", Node{}, err
	}
	if len(rest) != 0 {
		return "", Node{}, fmt.Errorf("%w: Node: more than one field set", ErrInvalid)
	}
	if field < 1 || field > 3 {
		return "", Node{}, fmt.Errorf("%w: Node: unknown field %d", ErrInvalid, field)
	}
	name, n, err := unmarshalNodeBody(Kind(field), body)
	if err != nil {
		return "", Node{}, err
	}
	if name != "" {
		if err := ValidateName(name); err != nil {
			return "", Node{}, err
		}
	}
	return name, n, n.Validate()
}

// nextBytesField reads one length-delimited field from p.
func nextBytesField(p []byte) (field uint64, body, rest []byte, err error) {
	key, n := uvarint(p)
	if n <= 0 {
		return 0, nil, nil, fmt.Errorf("%w: bad field key", ErrInvalid)
	}
	if key&7 != wireBytes {
		return 0, nil, nil, fmt.Errorf("%w: field %d has wire type %d, want %d", ErrInvalid, key>>3, key&7, wireBytes)
	}
	p = p[n:]
	l, n := uvarint(p)
	if n <= 0 || l > uint64(len(p)-n) {
		return 0, nil, nil, fmt.Errorf("%w: field %d: bad or truncated length", ErrInvalid, key>>3)
	}
	p = p[n:]
	return key >> 3, p[:l], p[l:], nil
}

// uvarint decodes a minimal varint of at most 64 bits; n <= 0 on error.
func uvarint(p []byte) (uint64, int) {
	v, n := binary.Uvarint(p)
	if n <= 0 {
		return 0, -1
	}
	// A non-minimal varint ends in a 0x00 byte after a continuation.
	if n > 1 && p[n-1] == 0 {
		return 0, -1
	}
	return v, n
}

// unmarshalNodeBody decodes a DirectoryNode, FileNode or SymlinkNode
// message, in canonical form only.
func unmarshalNodeBody(kind Kind, p []byte) (string, Node, error) {
	n := Node{Kind: kind}
	var name string
	var haveDigest bool
	var last uint64
	for len(p) > 0 {
		key, kl := uvarint(p)
		if kl <= 0 {
			return "", n, fmt.Errorf("%w: %s node: bad field key", ErrInvalid, kind)
		}
		field, wire := key>>3, key&7
		if field <= last {
			return "", n, fmt.Errorf("%w: %s node: field %d repeated or out of order", ErrInvalid, kind, field)
		}
		last = field
		p = p[kl:]
		want := uint64(wireBytes)
		if field >= 3 {
			want = wireVarint
		}
		maxField := uint64(3)
		switch kind {
		case KindFile:
			maxField = 4
		case KindSymlink:
			maxField = 2
		}
		if field == 0 || field > maxField {
			return "", n, fmt.Errorf("%w: %s node: unknown field %d", ErrInvalid, kind, field)
		}
		if wire != want {
			return "", n, fmt.Errorf("%w: %s node: field %d has wire type %d", ErrInvalid, kind, field, wire)
		}
		if wire == wireVarint {
			v, vl := uvarint(p)
			if vl <= 0 {
				return "", n, fmt.Errorf("%w: %s node: bad varint", ErrInvalid, kind)
			}
			p = p[vl:]
			if v == 0 {
				return "", n, fmt.Errorf("%w: %s node: field %d holds its default value (not canonical)", ErrInvalid, kind, field)
			}
			if field == 3 {
				n.Size = v
			} else { // executable
				if v != 1 {
					return "", n, fmt.Errorf("%w: file node: executable is %d, not a bool", ErrInvalid, v)
				}
				n.Executable = true
			}
			continue
		}
		l, ll := uvarint(p)
		if ll <= 0 || l > uint64(len(p)-ll) {
			return "", n, fmt.Errorf("%w: %s node: bad or truncated length", ErrInvalid, kind)
		}
		v := p[ll : ll+int(l)]
		p = p[ll+int(l):]
		if len(v) == 0 {
			return "", n, fmt.Errorf("%w: %s node: field %d holds its default value (not canonical)", ErrInvalid, kind, field)
		}
		switch {
		case field == 1:
			name = string(v)
		case kind == KindSymlink:
			n.Target = string(v)
		default:
			if len(v) != DigestSize {
				return "", n, fmt.Errorf("%w: %s node %q: digest is %d bytes, want %d", ErrInvalid, kind, name, len(v), DigestSize)
			}
			n.Digest = Digest(v)
			haveDigest = true
		}
	}
	if kind != KindSymlink && !haveDigest {
		return "", n, fmt.Errorf("%w: %s node %q: missing digest", ErrInvalid, kind, name)
	}
	if err := n.Validate(); err != nil {
		return "", n, fmt.Errorf("%q: %w", name, err)
	}
	return name, n, nil
}
