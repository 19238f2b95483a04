package local

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Lock files beside the database. See the package documentation.
const (
	lockFile  = "govix.lock"
	queueFile = "govix.lock.queue"
)

// How long this process keeps the database open between uses, and how long
// it keeps a shared lock while busy before letting queued writers in.
const (
	idleHold   = 10 * time.Millisecond
	sharedHold = 100 * time.Millisecond
)

const (
	modeClosed = iota
	modeShared
	modeExclusive
)

// sharedDB is the store's bbolt database, shared with other processes: this
// process opens it only while it runs transactions, under a lock on
// govix.lock taken shared for reading and exclusive for writing, and keeps
// it open for a few milliseconds after the last use so that a burst of
// transactions opens it once.
//
// bbolt is not made for several processes: its pages are mapped into
// memory and a writer reuses pages only its own readers are known not to
// use. Closing the database before another process may write, and opening
// it afresh (new mapping, new meta page, new freelist) after, makes that
// safe; bbolt's own lock on govix.db (shared when read-only) agrees with
// ours, so processes that hold the database open for their whole life
// (older govix binaries) are still excluded.
//
// Locks are taken through a queue lock (govix.lock.queue, held exclusively
// only while waiting for govix.lock): a writer waiting for readers to leave
// holds it, so new readers queue behind the writer instead of starving it.
type sharedDB struct {
	path    string // govix.db
	timeout time.Duration
	data    *os.File // govix.lock
	queue   *os.File // govix.lock.queue

	mu       sync.Mutex
	cond     *sync.Cond
	db       *bolt.DB
	mode     int
	users    int       // transactions running
	writers  int       // users (running or waiting) that need the exclusive mode
	opening  bool      // a goroutine is taking the lock
	draining bool      // no new users until the database is closed
	since    time.Time // when the lock was taken
	lastUse  time.Time
	timer    *time.Timer
	armed    bool // timer will call idle
	closed   bool

	opens int // times the lock was taken, for tests
}

func openShared(dir string, timeout time.Duration) (*sharedDB, error) {
	data, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("castore: opening store lock: %w", err)
	}
	queue, err := os.OpenFile(filepath.Join(dir, queueFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		data.Close()
		return nil, fmt.Errorf("castore: opening store lock: %w", err)
	}
	s := &sharedDB{path: filepath.Join(dir, DBFile), timeout: timeout, data: data, queue: queue}
	s.cond = sync.NewCond(&s.mu)
	return s, nil
}

// view runs fn in a read-only transaction.
func (s *sharedDB) view(fn func(*bolt.Tx) error) error {
	db, err := s.acquire(false)
	if err != nil {
		return err
	}
	defer s.release(false)
	return db.View(fn)
}

// update runs fn in a read-write transaction.
func (s *sharedDB) update(fn func(*bolt.Tx) error) error {
	db, err := s.acquire(true)
	if err != nil {
		return err
	}
	defer s.release(true)
	return db.Update(fn)
}

// exclusive runs fn with the database open for writing and no other
// process using it, without a transaction of its own.
func (s *sharedDB) exclusive(fn func(*bolt.DB) error) error {
	db, err := s.acquire(true)
	if err != nil {
		return err
	}
	defer s.release(true)
	return fn(db)
}

// acquire returns the open database for one transaction (a write one if
// write), taking the lock if this process does not hold it in a mode that
// allows it. Every acquire is paired with a release. Transactions must not
// nest: a goroutine holding the database must not acquire it again.
func (s *sharedDB) acquire(write bool) (*bolt.DB, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if write {
		s.writers++
	}
	for {
		switch {
		case s.closed:
			if write {
				s.writers--
			}
			return nil, errors.New("castore: store is closed")
		case s.draining || s.opening:
		case s.mode == modeExclusive || (s.mode == modeShared && !write):
			if s.mode == modeShared && s.writers == 0 && time.Since(s.since) > sharedHold {
				// Busy for long: let writers of other processes in.
				s.drainLocked()
				continue
			}
			s.users++
			return s.db, nil
		case s.mode == modeShared: // and a writer wants it
			s.drainLocked()
			continue
		case s.mode == modeClosed:
			mode := modeShared
			if s.writers > 0 {
				mode = modeExclusive
			}
			s.opening = true
			s.mu.Unlock()
			db, err := s.open(mode)
			s.mu.Lock()
			s.opening = false
			s.cond.Broadcast()
			if err != nil {
				if write {
					s.writers--
				}
				return nil, err
			}
			s.db, s.mode, s.since = db, mode, time.Now()
			s.opens++
			continue
		}
		s.cond.Wait()
	}
}

// release ends a use begun by acquire.
func (s *sharedDB) release(write bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users--
	s.lastUse = time.Now()
	if write {
		s.writers--
		if s.writers == 0 {
			// Other processes may be waiting to read: give the
			// exclusive lock up as soon as this process's writes are done.
			s.draining = true
		}
	}
	if s.users > 0 {
		return
	}
	if s.draining {
		s.closeLocked()
		return
	}
	if !s.armed {
		s.armed = true
		if s.timer == nil {
			s.timer = time.AfterFunc(idleHold, s.idle)
		} else {
			s.timer.Reset(idleHold)
		}
	}
}

// idle closes the database when nothing used it for idleHold.
func (s *sharedDB) idle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed = false
	if s.users > 0 || s.mode == modeClosed {
		return // release arms the timer again
	}
	if wait := idleHold - time.Since(s.lastUse); wait > 0 {
		s.armed = true
		s.timer.Reset(wait)
		return
	}
	s.closeLocked()
}

// drainLocked stops new uses, closing the database at once when it is not
// in use.
func (s *sharedDB) drainLocked() {
	s.draining = true
	if s.users == 0 {
		s.closeLocked()
	}
}

func (s *sharedDB) closeLocked() {
	if s.db != nil {
		s.db.Close()
		s.db = nil
		flock(s.data, syscall.LOCK_UN)
	}
	s.mode = modeClosed
	s.draining = false
	s.cond.Broadcast()
}

// open takes the lock in mode and opens the database.
func (s *sharedDB) open(mode int) (*bolt.DB, error) {
	how := syscall.LOCK_SH
	if mode == modeExclusive {
		how = syscall.LOCK_EX
	}
	if err := flock(s.queue, syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("castore: locking store: %w", err)
	}
	err := flock(s.data, how)
	flock(s.queue, syscall.LOCK_UN)
	if err != nil {
		return nil, fmt.Errorf("castore: locking store: %w", err)
	}
	db, err := bolt.Open(s.path, 0o644, &bolt.Options{
		ReadOnly:     mode == modeShared,
		Timeout:      s.timeout,
		FreelistType: bolt.FreelistMapType,
	})
	if err != nil {
		flock(s.data, syscall.LOCK_UN)
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("castore: store %s is in use by a process that keeps it locked", filepath.Dir(s.path))
		}
		return nil, fmt.Errorf("castore: opening store %s: %w", filepath.Dir(s.path), err)
	}
	return db, nil
}

// close closes the database and the lock files; uses still running are
// waited for.
func (s *sharedDB) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.users > 0 || s.opening {
		s.cond.Wait()
	}
	s.closeLocked()
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
	}
	return errors.Join(s.data.Close(), s.queue.Close())
}

// flock is flock(2), retried when a signal interrupts it.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
