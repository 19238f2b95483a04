// Package local is castore's embedded on-disk backend, the default store:
// local://PATH.
//
// # Layout
//
//	PATH/govix.db          bbolt database: the index (and other packages' data)
//	PATH/govix.lock        lock taken while a process uses the database
//	PATH/govix.lock.queue  lock held while waiting for govix.lock
//	PATH/packs/N.pack      append-only pack files holding chunk bytes
//
// Every chunk (a small blob is one chunk) is appended to the current pack
// file as a record: a 40-byte header (magic, length, BLAKE3 digest) and the
// bytes. The database maps each chunk digest to its pack, offset and length
// (bucket "castore/chunks"), each chunked blob to its chunk list
// ("castore/manifests"), each Directory digest to its canonical encoding
// ("castore/directories"), and each pack to the length of it that is
// committed ("castore/packs"). Buckets whose names do not start with
// "castore/" are free for other packages: the store package keeps PathInfo
// there, using View and Update.
//
// # Durability and crashes
//
// A blob is readable as soon as Put returns, but its index entries are
// committed in batches: a flush writes the pack files to disk (fsync) and
// then commits the entries in one database transaction. Flushes happen when
// enough has piled up, before any directory closure is committed (so a
// stored Directory never refers to a blob that a crash could lose), before
// Update runs, on Sync and on Close. A process killed in the middle of an
// import therefore leaves the store as it was at the last flush: pack bytes
// past the committed length are cut off when the store is next opened, and
// nothing is visible under a digest whose bytes are not on disk. Importing
// again completes the work.
//
// # Concurrency
//
// Any number of processes may have a store open at once, as with Nix's
// local store: a FUSE mount or nar-bridge serving it does not stop other
// commands from adding to it, and two imports can run side by side.
//
// bbolt maps its file into memory and is made for one process, so no
// process keeps the database open: a process opens it when it needs it,
// under a lock on govix.lock that is shared for reading and exclusive for
// writing, and closes it (releasing the lock) after 10 ms without use, at
// once after its last write, and every 100 ms while it reads
// continuously, so that writers of other processes get in. Opening costs about 40 µs (the
// mapping is lazy, the freelist is stored), so a burst of lookups pays it
// once. A process waiting for govix.lock holds govix.lock.queue, so a
// waiting writer is not starved by a stream of readers. The locks are
// flock(2) locks: the kernel drops them when a process dies.
//
// Each process appends chunks to pack files of its own: a pack being
// written is locked (flock on the pack) by its writer and is chosen, or
// created, with the database held exclusively. The commit protocol above
// is unchanged: pack bytes are synced before the entries naming them
// commit, and a pack's committed length is only moved by its writer.
// Repair on Open, and when a writer takes over a pack, cuts back only
// packs nobody holds, so one process's crash never touches another's
// uncommitted bytes.
//
// Within a process, a Store is safe for concurrent use. What is read is
// content-addressed and never changes, so nothing needs invalidating when
// another process writes: a blob another process adds is found at the next
// lookup.
package local

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/chunked"
)

// Bucket names in the shared database.
var (
	bucketChunks      = []byte("castore/chunks")
	bucketManifests   = []byte("castore/manifests")
	bucketDirectories = []byte("castore/directories")
	bucketPacks       = []byte("castore/packs")
)

// DBFile is the name of the database file inside a store's directory.
const DBFile = "govix.db"

// Options tune a store; the zero value is the default.
type Options struct {
	// MaxPackSize is the size at which a new pack file is started
	// (default 512 MiB).
	MaxPackSize int64
	// FlushEntries and FlushBytes bound what is written but not yet
	// committed: reaching either starts a flush (defaults 32768 entries and
	// 1 GiB).
	FlushEntries int
	FlushBytes   int64
	// LockTimeout is how long to wait for a process that keeps the
	// database locked for its whole life (govix before stores were shared)
	// before failing (default 5 s). Processes using this package wait for
	// each other without a limit: they hold the database briefly.
	LockTimeout time.Duration
}

func (o *Options) withDefaults() Options {
	r := Options{MaxPackSize: 512 << 20, FlushEntries: 1 << 15, FlushBytes: 1 << 30, LockTimeout: 5 * time.Second}
	if o != nil {
		if o.MaxPackSize > 0 {
			r.MaxPackSize = o.MaxPackSize
		}
		if o.FlushEntries > 0 {
			r.FlushEntries = o.FlushEntries
		}
		if o.FlushBytes > 0 {
			r.FlushBytes = o.FlushBytes
		}
		if o.LockTimeout > 0 {
			r.LockTimeout = o.LockTimeout
		}
	}
	return r
}

// Store is an open on-disk store.
type Store struct {
	dir  string
	opts Options
	db   *sharedDB
	blob *chunked.Service
	dirs castore.DirectoryService

	mu sync.Mutex // guards everything below, and writes to the pack
	w  *packWriter
	// Written but not committed: pending fills up; a flush moves it to
	// flushing while it commits, so readers still find the entries.
	pending, flushing batch
	closed            bool

	flushMu sync.Mutex // one flush at a time

	readMu  sync.RWMutex
	readers map[uint32]*packFile

	locs locationCache // committed chunk locations read from the index
}

// batch is a set of index entries not yet committed.
type batch struct {
	chunks    map[castore.Digest]location
	manifests map[castore.Digest][]byte
	kv        map[string]map[string][]byte // bucket -> key -> value, see KV
	packs     map[uint32]*os.File          // packs written to, with their length below
	lengths   map[uint32]int64
	bytes     int64
}

func newBatch() batch {
	return batch{
		chunks:    make(map[castore.Digest]location),
		manifests: make(map[castore.Digest][]byte),
		kv:        make(map[string]map[string][]byte),
		packs:     make(map[uint32]*os.File),
		lengths:   make(map[uint32]int64),
	}
}

func (b *batch) entries() int {
	n := len(b.chunks) + len(b.manifests)
	for _, m := range b.kv {
		n += len(m)
	}
	return n
}

func (b *batch) empty() bool { return b.entries() == 0 }

// Open opens (creating if needed) the store in directory dir, repairing
// what an interrupted writer left behind. Several Stores, in one process or
// in many, may have the same directory open at once.
func Open(ctx context.Context, dir string, opts *Options) (*Store, error) {
	o := opts.withDefaults()
	if err := os.MkdirAll(filepath.Join(dir, "packs"), 0o755); err != nil {
		return nil, fmt.Errorf("castore: creating store: %w", err)
	}
	db, err := openShared(dir, o.LockTimeout)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: dir, opts: o, db: db, pending: newBatch(), readers: make(map[uint32]*packFile)}
	if err := s.recover(); err != nil {
		db.close()
		return nil, err
	}
	s.blob = chunked.New(chunkStore{s})
	s.dirs = castore.NewDirectoryService(dirStore{s})
	return s, nil
}

// recover creates the buckets and cuts every pack no process is writing to
// back to its committed length, removing packs nothing was committed to.
func (s *Store) recover() error {
	// Create the buckets only when missing: a write transaction costs a
	// disk sync, which a store opened to read should not pay.
	buckets := [][]byte{bucketChunks, bucketManifests, bucketDirectories, bucketPacks}
	missing := true
	if _, err := os.Stat(filepath.Join(s.dir, DBFile)); err == nil {
		err := s.db.view(func(tx *bolt.Tx) error {
			missing = false
			for _, b := range buckets {
				missing = missing || tx.Bucket(b) == nil
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if missing {
		err := s.db.update(func(tx *bolt.Tx) error {
			for _, b := range buckets {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("castore: opening store %s: %w", s.dir, err)
		}
	}
	ents, err := os.ReadDir(filepath.Join(s.dir, "packs"))
	if err != nil {
		return fmt.Errorf("castore: %w", err)
	}
	if len(ents) == 0 {
		return nil
	}
	// Exclusive, so that no other process starts a pack meanwhile; packs
	// other processes are appending to are locked, and left alone.
	return s.db.exclusive(func(db *bolt.DB) error {
		committed, err := committedLengths(db)
		if err != nil {
			return fmt.Errorf("castore: opening store %s: %w", s.dir, err)
		}
		for _, e := range ents {
			id, ok := parsePackName(e.Name())
			if !ok {
				continue
			}
			if err := s.repairPack(id, committed); err != nil {
				return err
			}
		}
		return nil
	})
}

func committedLengths(db *bolt.DB) (map[uint32]int64, error) {
	committed := map[uint32]int64{}
	err := db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPacks).ForEach(func(k, v []byte) error {
			if len(k) != 4 || len(v) != 8 {
				return fmt.Errorf("%w: bad pack entry", castore.ErrCorrupt)
			}
			committed[binary.BigEndian.Uint32(k)] = int64(binary.BigEndian.Uint64(v))
			return nil
		})
	})
	return committed, err
}

// repairPack cuts pack id back to its committed length unless another
// writer holds it. Called with the database held exclusively.
func (s *Store) repairPack(id uint32, committed map[uint32]int64) error {
	p := s.packPath(id)
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("castore: repairing pack %s: %w", p, err)
	}
	defer f.Close()
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return nil // another process is appending to it
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("castore: repairing pack %s: %w", p, err)
	}
	want, ok := committed[id]
	switch {
	case !ok:
		err = os.Remove(p)
	case fi.Size() > want:
		err = f.Truncate(want)
	}
	if err != nil {
		return fmt.Errorf("castore: repairing pack %s: %w", p, err)
	}
	return nil
}

// Castore returns the store's blob and directory services as a
// castore.Store; closing that closes s.
func (s *Store) Castore() *castore.Store { return castore.NewStore(s.blob, s.dirs, s.Close) }

// Blobs returns the store's BlobService.
func (s *Store) Blobs() castore.BlobService { return s.blob }

// Directories returns the store's DirectoryService.
func (s *Store) Directories() castore.DirectoryService { return s.dirs }

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// View runs fn in a read-only transaction of the shared database. Other
// packages keep their own buckets in it (names not starting with
// "castore/"). fn must not start another transaction of the store.
func (s *Store) View(fn func(*bolt.Tx) error) error { return s.db.view(fn) }

// Update runs fn in a read-write transaction of the shared database that
// also commits every blob written so far (their pack bytes are on disk
// before it commits): whatever fn records may refer to them and survives a
// crash with them. If fn fails, nothing of the transaction is committed.
func (s *Store) Update(ctx context.Context, fn func(*bolt.Tx) error) error {
	return s.flush(ctx, fn)
}

// Sync makes everything written so far durable.
func (s *Store) Sync(ctx context.Context) error { return s.flush(ctx, nil) }

// Close flushes and closes the store.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	err := s.flush(context.Background(), nil)
	s.mu.Lock()
	s.closed = true
	if s.w != nil {
		if cerr := s.w.f.Close(); err == nil {
			err = cerr
		}
		s.w = nil
	}
	s.mu.Unlock()
	s.closeReaders()
	if cerr := s.db.close(); err == nil {
		err = cerr
	}
	return err
}

// flush commits the pending batch: pack bytes to disk first, then the
// index entries in one transaction, in which fn (if not nil) also runs.
func (s *Store) flush(ctx context.Context, fn func(*bolt.Tx) error) error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("castore: store is closed")
	}
	if s.pending.empty() {
		s.mu.Unlock()
		if fn == nil {
			return nil
		}
		return s.db.update(fn)
	}
	b := s.pending
	s.flushing, s.pending = b, newBatch()
	s.mu.Unlock()

	err := s.commit(ctx, &b, fn)

	s.mu.Lock()
	if err == nil {
		// Close packs that are full and synced; the current one stays open.
		for id, f := range b.packs {
			if (s.w == nil || f != s.w.f) && s.pending.packs[id] != f {
				f.Close()
			}
		}
	} else {
		// Keep the entries visible and try again at the next flush.
		for d, l := range b.chunks {
			s.pending.chunks[d] = l
		}
		for d, m := range b.manifests {
			s.pending.manifests[d] = m
		}
		for bucket, m := range b.kv {
			pm := s.pending.kv[bucket]
			if pm == nil {
				pm = make(map[string][]byte)
				s.pending.kv[bucket] = pm
			}
			for k, v := range m {
				if _, newer := pm[k]; !newer {
					pm[k] = v
				}
			}
		}
		for id, f := range b.packs {
			s.pending.packs[id] = f
			s.pending.lengths[id] = max(s.pending.lengths[id], b.lengths[id])
		}
		s.pending.bytes += b.bytes
	}
	s.flushing = batch{}
	s.mu.Unlock()
	return err
}

func (s *Store) commit(ctx context.Context, b *batch, fn func(*bolt.Tx) error) error {
	for _, f := range b.packs {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("castore: syncing pack: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	keys := make([]castore.Digest, 0, len(b.chunks))
	for d := range b.chunks {
		keys = append(keys, d)
	}
	slices.SortFunc(keys, func(a, b castore.Digest) int { return compareDigests(a, b) })
	return s.db.update(func(tx *bolt.Tx) error {
		// bbolt keeps the key and value slices until the commit: each
		// entry needs its own.
		cb := tx.Bucket(bucketChunks)
		vals := make([]byte, 16*len(keys))
		for i, d := range keys {
			v := vals[16*i : 16*(i+1)]
			b.chunks[d].encode(v)
			if err := cb.Put(keys[i][:], v); err != nil {
				return err
			}
		}
		mb := tx.Bucket(bucketManifests)
		for d, m := range b.manifests {
			if err := mb.Put(bytes.Clone(d[:]), m); err != nil {
				return err
			}
		}
		for bucket, m := range b.kv {
			kb := tx.Bucket([]byte(bucket))
			for k, v := range m {
				if err := kb.Put([]byte(k), v); err != nil {
					return err
				}
			}
		}
		pb := tx.Bucket(bucketPacks)
		for id, n := range b.lengths {
			k := binary.BigEndian.AppendUint32(nil, id)
			v := binary.BigEndian.AppendUint64(nil, uint64(n))
			if err := pb.Put(k, v); err != nil {
				return err
			}
		}
		if fn != nil {
			return fn(tx)
		}
		return nil
	})
}

func compareDigests(a, b castore.Digest) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}
