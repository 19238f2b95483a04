package local

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/govix/govix/castore"
)

// StoredBlob reads a blob's bytes as the store holds them, straight from
// the packs, without hashing them: for serving what this store verified
// when it wrote it (every chunk is hashed before it is written, and a
// manifest is recorded only after the whole blob was hashed) at the speed
// of a memory copy. Each chunk's record header is still checked, so an
// index entry pointing at the wrong bytes is caught; rotten bytes are not
// (the blob service's Open checks those, and so does whoever verifies what
// they receive, as Nix checks a NAR's hash).
//
// A StoredBlob is safe for concurrent use.
type StoredBlob struct {
	s      *Store
	chunks []storedChunk
	size   int64
}

type storedChunk struct {
	loc   location
	start int64 // offset of the chunk in the blob
}

// OpenStored looks up blob d (a chunk, or a manifest of chunks) and
// returns a reader of its stored bytes. An absent blob gives an error
// wrapping castore.ErrNotFound.
func (s *Store) OpenStored(ctx context.Context, d castore.Digest) (*StoredBlob, error) {
	l, ok, err := s.lookup(d)
	if err != nil {
		return nil, err
	}
	if ok {
		b := &StoredBlob{s: s, chunks: []storedChunk{{loc: l}}, size: int64(l.length)}
		return b, b.checkHeader(0, d)
	}
	metas, err := chunkStore{s}.Manifest(ctx, d)
	if err != nil {
		if errors.Is(err, castore.ErrNotFound) {
			return nil, fmt.Errorf("blob %s: %w", d, castore.ErrNotFound)
		}
		return nil, err
	}
	b := &StoredBlob{s: s, chunks: make([]storedChunk, len(metas))}
	for i, m := range metas {
		l, ok, err := s.lookup(m.Digest)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("blob %s: chunk %d (%s) is missing: %w", d, i, m.Digest, castore.ErrNotFound)
		}
		if uint64(l.length) != m.Size {
			return nil, fmt.Errorf("blob %s: %w: chunk %d is %d bytes, its manifest says %d", d, castore.ErrCorrupt, i, l.length, m.Size)
		}
		b.chunks[i] = storedChunk{loc: l, start: b.size}
		b.size += int64(l.length)
		if err := b.checkHeader(i, m.Digest); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Size returns the blob's size in bytes.
func (b *StoredBlob) Size() int64 { return b.size }

// checkHeader checks that chunk i's record is the one of digest d.
func (b *StoredBlob) checkHeader(i int, d castore.Digest) error {
	l := b.chunks[i].loc
	var hdr [headerSize]byte
	if err := b.s.readPack(l.pack, l.offset-headerSize, hdr[:]); err != nil {
		return fmt.Errorf("chunk %s: %w", d, err)
	}
	if binary.BigEndian.Uint32(hdr[:]) != recordMagic || binary.BigEndian.Uint32(hdr[4:]) != l.length || !bytes.Equal(hdr[8:], d[:]) {
		return fmt.Errorf("chunk %s: %w: bad record header in pack %s at offset %d", d, castore.ErrCorrupt, packName(l.pack), l.offset-headerSize)
	}
	return nil
}

// ReadAt reads the blob's bytes at off into p.
func (b *StoredBlob) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("castore: negative offset")
	}
	total := 0
	// The chunk holding off: the last one starting at or before it.
	i, j := 0, len(b.chunks)
	for i+1 < j {
		if h := (i + j) / 2; b.chunks[h].start <= off {
			i = h
		} else {
			j = h
		}
	}
	for ; len(p) > 0 && i < len(b.chunks); i++ {
		c := b.chunks[i]
		within := off - c.start
		if within >= int64(c.loc.length) {
			continue
		}
		n := min(int64(len(p)), int64(c.loc.length)-within)
		if err := b.s.readPack(c.loc.pack, c.loc.offset+within, p[:n]); err != nil {
			return total, err
		}
		p = p[n:]
		off += n
		total += int(n)
	}
	if len(p) > 0 {
		return total, io.EOF
	}
	return total, nil
}

// readPack copies pack id's bytes at off into p: out of the mapping, or
// with pread past it.
func (s *Store) readPack(id uint32, off int64, p []byte) error {
	s.readMu.RLock()
	defer s.readMu.RUnlock()
	pf, err := s.reader(id)
	if err != nil {
		return err
	}
	m, err := pf.bytes(off, len(p))
	if err == nil {
		copy(p, m)
		return nil
	}
	if errors.Is(err, errNotMapped) {
		_, err = pf.f.ReadAt(p, off)
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: pack %s is shorter than the index says", castore.ErrCorrupt, packName(id))
	}
	return err
}
