package castore

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// Entry is a named node inside a Directory.
type Entry struct {
	Name string
	Node
}

// Directory is the list of entries of one directory, sorted by name
// (bytewise) with unique names. Its identity is Digest(): the BLAKE3 digest of
// its canonical protobuf encoding (see Marshal).
//
// The zero Directory is the valid empty directory.
type Directory struct {
	Entries []Entry
}

// NewDirectory builds a Directory from entries in any order, sorting them by
// name, and validates it.
func NewDirectory(entries ...Entry) (*Directory, error) {
	es := slices.Clone(entries)
	slices.SortFunc(es, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	d := &Directory{Entries: es}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// Validate checks everything that can be checked without looking at other
// directories: valid names, sorted and unique, valid nodes, and a Size that
// does not overflow. Whether each child directory's size is right needs the
// child; DirectoryService putters check that.
func (d *Directory) Validate() error {
	var size uint64
	for i := range d.Entries {
		e := &d.Entries[i]
		if err := ValidateName(e.Name); err != nil {
			return err
		}
		if i > 0 {
			switch prev := d.Entries[i-1].Name; {
			case prev == e.Name:
				return fmt.Errorf("%w: duplicate name %q", ErrInvalid, e.Name)
			case prev > e.Name:
				return fmt.Errorf("%w: entries not sorted: %q after %q", ErrInvalid, e.Name, prev)
			}
		}
		if err := e.Node.Validate(); err != nil {
			return fmt.Errorf("entry %q: %w", e.Name, err)
		}
		var carry uint64
		size, carry = bits.Add64(size, 1, 0)
		if carry == 0 && e.Kind == KindDirectory {
			size, carry = bits.Add64(size, e.Size, 0)
		}
		if carry != 0 {
			return fmt.Errorf("%w: directory size overflows (entry %q claims size %d)", ErrInvalid, e.Name, e.Size)
		}
	}
	return nil
}

// Size is the number of entries in d plus the Size of each subdirectory: the
// number of nodes below d, which the DirectoryNode pointing at d must carry.
// It saturates at the largest uint64 instead of overflowing; Validate rejects
// directories where that would happen.
func (d *Directory) Size() uint64 {
	size := uint64(len(d.Entries))
	for i := range d.Entries {
		if e := &d.Entries[i]; e.Kind == KindDirectory {
			s, carry := bits.Add64(size, e.Size, 0)
			if carry != 0 {
				return ^uint64(0)
			}
			size = s
		}
	}
	return size
}

// Digest returns the BLAKE3 digest of d's canonical encoding.
func (d *Directory) Digest() Digest { return Sum(d.Marshal()) }

// Node returns the DirectoryNode that refers to d.
func (d *Directory) Node() Node { return DirectoryNode(d.Digest(), d.Size()) }

// Lookup finds the entry called name.
func (d *Directory) Lookup(name string) (Node, bool) {
	i, ok := slices.BinarySearchFunc(d.Entries, name, func(e Entry, n string) int { return cmp.Compare(e.Name, n) })
	if !ok {
		return Node{}, false
	}
	return d.Entries[i].Node, true
}
