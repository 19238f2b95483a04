package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/govix/govix/castore"
)

// A NAR rendered from a castore tree is a sequence of segments: framing
// (tokens, names, sizes, padding), which is computed from the directory
// tree, and file contents, which are blobs. The layout lists them with their
// offsets, so the NAR's size and the place of every byte are known without
// reading any file, and a byte range needs only the blobs it covers.

// segment is a run of NAR bytes: framing held in narLayout.lit, or the
// contents of a blob.
type segment struct {
	off    uint64 // offset in the NAR
	size   uint64
	lit    int64 // offset into narLayout.lit, or -1 for a blob
	digest castore.Digest
}

// narLayout is the NAR of one node, as segments in order.
type narLayout struct {
	segs []segment
	lit  []byte
	size uint64
	// files maps each file's NAR path ("/a/b") to its contents' offset;
	// filled only when listing is wanted.
	files map[string]uint64
}

// layoutBuilder appends framing to the layout, merging adjacent framing
// into one segment.
type layoutBuilder struct {
	l    narLayout
	dirs map[castore.Digest]*castore.Directory
	// litStart is where the framing segment being built starts in lit,
	// or -1 when the last segment is a blob.
	litStart int64
	litOff   uint64
	depth    int
}

func (b *layoutBuilder) str(s string) {
	if b.litStart < 0 {
		b.litStart = int64(len(b.l.lit))
		b.litOff = b.l.size
	}
	n := len(s)
	b.l.lit = binary.LittleEndian.AppendUint64(b.l.lit, uint64(n))
	b.l.lit = append(b.l.lit, s...)
	pad := (8 - n%8) % 8
	b.l.lit = append(b.l.lit, make([]byte, pad)...)
	b.l.size += 8 + uint64(n+pad)
}

func (b *layoutBuilder) u64(v uint64) {
	if b.litStart < 0 {
		b.litStart = int64(len(b.l.lit))
		b.litOff = b.l.size
	}
	b.l.lit = binary.LittleEndian.AppendUint64(b.l.lit, v)
	b.l.size += 8
}

func (b *layoutBuilder) pad(n uint64) {
	if p := (8 - n%8) % 8; p > 0 {
		if b.litStart < 0 {
			b.litStart = int64(len(b.l.lit))
			b.litOff = b.l.size
		}
		b.l.lit = append(b.l.lit, make([]byte, p)...)
		b.l.size += p
	}
}

// endLit closes the framing segment being built.
func (b *layoutBuilder) endLit() {
	if b.litStart >= 0 {
		n := uint64(int64(len(b.l.lit)) - b.litStart)
		if n > 0 {
			b.l.segs = append(b.l.segs, segment{off: b.litOff, size: n, lit: b.litStart})
		}
		b.litStart = -1
	}
}

func (b *layoutBuilder) blob(d castore.Digest, size uint64) {
	b.endLit()
	if size > 0 {
		b.l.segs = append(b.l.segs, segment{off: b.l.size, size: size, lit: -1, digest: d})
		b.l.size += size
	}
}

// maxNARDepth bounds directory nesting, as nixcompat/nar does.
const maxNARDepth = 1024

func (b *layoutBuilder) node(path string, n castore.Node) error {
	b.str("(")
	b.str("type")
	switch n.Kind {
	case castore.KindFile:
		b.str("regular")
		if n.Executable {
			b.str("executable")
			b.str("")
		}
		b.str("contents")
		b.u64(n.Size)
		if b.l.files != nil {
			b.l.files[path] = b.l.size
		}
		b.blob(n.Digest, n.Size)
		b.pad(n.Size)
	case castore.KindSymlink:
		b.str("symlink")
		b.str("target")
		b.str(n.Target)
	case castore.KindDirectory:
		b.str("directory")
		d, ok := b.dirs[n.Digest]
		if !ok {
			return fmt.Errorf("directory %s: %w", n.Digest, castore.ErrNotFound)
		}
		if b.depth++; b.depth > maxNARDepth {
			return fmt.Errorf("%w: directories nested more than %d deep", ErrInvalid, maxNARDepth)
		}
		for i := range d.Entries {
			e := &d.Entries[i]
			b.str("entry")
			b.str("(")
			b.str("name")
			b.str(e.Name)
			b.str("node")
			p := path + "/" + e.Name
			if path == "/" {
				p = "/" + e.Name
			}
			if err := b.node(p, e.Node); err != nil {
				return err
			}
			b.str(")")
		}
		b.depth--
	default:
		return fmt.Errorf("%w: node of kind %s", ErrInvalid, n.Kind)
	}
	b.str(")")
	return nil
}

// computeLayout computes the NAR layout of n, fetching the directories
// below it from ds.
func computeLayout(ctx context.Context, ds castore.DirectoryService, n castore.Node, withFiles bool) (*narLayout, error) {
	l, _, err := computeLayoutDirs(ctx, ds, n, withFiles)
	return l, err
}

// computeLayoutDirs is computeLayout that also returns the directories it
// fetched.
func computeLayoutDirs(ctx context.Context, ds castore.DirectoryService, n castore.Node, withFiles bool) (*narLayout, map[castore.Digest]*castore.Directory, error) {
	if err := n.Validate(); err != nil {
		return nil, nil, err
	}
	b := &layoutBuilder{litStart: -1, dirs: map[castore.Digest]*castore.Directory{}}
	if withFiles {
		b.l.files = map[string]uint64{}
	}
	if n.Kind == castore.KindDirectory {
		for d, err := range ds.GetRecursive(ctx, n.Digest) {
			if err != nil {
				return nil, nil, err
			}
			b.dirs[d.Digest()] = d
		}
	}
	b.str("nix-archive-1")
	if err := b.node("/", n); err != nil {
		return nil, nil, err
	}
	b.endLit()
	return &b.l, b.dirs, nil
}

// find returns the index of the segment holding offset off (< size).
func (l *narLayout) find(off uint64) int {
	return sort.Search(len(l.segs), func(i int) bool { return l.segs[i].off+l.segs[i].size > off })
}
