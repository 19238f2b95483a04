package local

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/govix/govix/castore"
)

// A pack record is a header followed by the chunk's bytes. The header makes
// packs self-describing (an index could be rebuilt from them) and lets a
// read check it landed on the record it wanted.
const (
	recordMagic  = 0x67767863 // "gvxc"
	headerSize   = 4 + 4 + castore.DigestSize
	maxChunkSize = 64 << 20 // far above what the chunker produces; bounds hostile lengths
)

// location is where a chunk's bytes are: pack, offset of the bytes (after
// the header) and length.
type location struct {
	pack   uint32
	offset int64
	length uint32
}

func (l location) encode(b []byte) {
	binary.BigEndian.PutUint32(b[0:], l.pack)
	binary.BigEndian.PutUint64(b[4:], uint64(l.offset))
	binary.BigEndian.PutUint32(b[12:], l.length)
}

func decodeLocation(b []byte) (location, error) {
	if len(b) != 16 {
		return location{}, fmt.Errorf("%w: index entry of %d bytes", castore.ErrCorrupt, len(b))
	}
	return location{
		pack:   binary.BigEndian.Uint32(b[0:]),
		offset: int64(binary.BigEndian.Uint64(b[4:])),
		length: binary.BigEndian.Uint32(b[12:]),
	}, nil
}

func packName(id uint32) string { return fmt.Sprintf("%08d.pack", id) }

func parsePackName(name string) (uint32, bool) {
	num, ok := strings.CutSuffix(name, ".pack")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(num, 10, 32)
	return uint32(id), err == nil
}

func (s *Store) packPath(id uint32) string { return filepath.Join(s.dir, "packs", packName(id)) }

// packWriter appends to one pack file.
type packWriter struct {
	id   uint32
	f    *os.File
	size int64
}

// writer returns the pack to append to, opening the last one or starting a
// new one when it is full. Called with s.mu held.
func (s *Store) writer(need int64) (*packWriter, error) {
	if s.w != nil && s.w.size+need <= s.opts.MaxPackSize {
		return s.w, nil
	}
	var id uint32
	var size int64
	if s.w != nil {
		// The full pack stays in the pending batch until it is synced.
		id = s.w.id + 1
	} else {
		// First write since Open: continue the newest pack if it has room.
		err := s.db.View(func(tx *bolt.Tx) error {
			k, v := tx.Bucket(bucketPacks).Cursor().Last()
			if k != nil {
				id = binary.BigEndian.Uint32(k)
				size = int64(binary.BigEndian.Uint64(v))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if id == 0 || size+need > s.opts.MaxPackSize {
			id, size = id+1, 0
		}
	}
	f, err := os.OpenFile(s.packPath(id), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("castore: opening pack: %w", err)
	}
	if size == 0 {
		// Make the new file's name durable before anything refers to it.
		if err := syncDir(filepath.Join(s.dir, "packs")); err != nil {
			f.Close()
			return nil, err
		}
	}
	s.w = &packWriter{id: id, f: f, size: size}
	return s.w, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("castore: syncing %s: %w", dir, err)
	}
	return nil
}

// reader returns an open file for reading pack id.
func (s *Store) reader(id uint32) (*os.File, error) {
	s.readMu.RLock()
	f, ok := s.readers[id]
	s.readMu.RUnlock()
	if ok {
		return f, nil
	}
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if s.readers == nil {
		return nil, fmt.Errorf("castore: store is closed")
	}
	if f, ok := s.readers[id]; ok {
		return f, nil
	}
	f, err := os.Open(s.packPath(id))
	if err != nil {
		return nil, fmt.Errorf("castore: %w: opening pack: %w", castore.ErrCorrupt, err)
	}
	s.readers[id] = f
	return f, nil
}
