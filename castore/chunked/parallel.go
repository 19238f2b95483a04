package chunked

import (
	"context"
	"runtime"
	"sync"

	"github.com/zeebo/blake3"

	"github.com/govix/govix/castore"
)

// WriteSlots is implemented by a Store that bounds the chunk writes in
// flight across all of its Puts (each holds a copy of its chunk in memory):
// an object store uploading over the network wants many at once, but not
// unboundedly many. Put takes a slot before handing a chunk to a writer,
// which releases it when the chunk is stored. Without it, each Put has at
// most two chunks per core in flight.
type WriteSlots interface {
	AcquireWrite(ctx context.Context) error
	ReleaseWrite()
}

// parallelWrite hashes and stores the chunks of one blob on goroutines of
// their own, each on a copy of its bytes, and collects their digests in
// order.
type parallelWrite struct {
	s      *Service
	ctx    context.Context
	cancel context.CancelFunc
	slots  WriteSlots

	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
	chunks []castore.ChunkMeta // filled in by the writers, by index
	n      int
}

func (s *Service) newParallelWrite(ctx context.Context) *parallelWrite {
	ctx, cancel := context.WithCancel(ctx)
	pw := &parallelWrite{s: s, ctx: ctx, cancel: cancel}
	if ws, ok := s.store.(WriteSlots); ok {
		pw.slots = ws
	} else {
		pw.slots = s.localSlots()
	}
	return pw
}

func (pw *parallelWrite) count() int { return pw.n }

// write starts storing a copy of data as the next chunk.
func (pw *parallelWrite) write(data []byte) error {
	if err := pw.slots.AcquireWrite(pw.ctx); err != nil {
		return err
	}
	i := pw.n
	pw.n++
	pw.mu.Lock()
	if err := pw.err; err != nil {
		pw.mu.Unlock()
		pw.slots.ReleaseWrite()
		return err
	}
	pw.chunks = append(pw.chunks, castore.ChunkMeta{Size: uint64(len(data))})
	pw.mu.Unlock()
	bp := pw.s.chunkBufs.Get().(*[]byte)
	own := append((*bp)[:0], data...)
	pw.wg.Go(func() {
		defer pw.slots.ReleaseWrite()
		defer func() { *bp = own[:0]; pw.s.chunkBufs.Put(bp) }()
		d := castore.Digest(blake3.Sum256(own))
		err := pw.s.writeChunk(pw.ctx, d, own)
		pw.mu.Lock()
		defer pw.mu.Unlock()
		if err != nil {
			if pw.err == nil {
				pw.err = err
				pw.cancel()
			}
			return
		}
		pw.chunks[i].Digest = d
	})
	return nil
}

// wait waits for every chunk to be stored and returns their list.
func (pw *parallelWrite) wait() ([]castore.ChunkMeta, error) {
	pw.wg.Wait()
	pw.cancel()
	return pw.chunks, pw.err
}

// fail stops the writes still running and waits for them; a writer's
// error, which stopped the Put, is the one to report.
func (pw *parallelWrite) fail(err error) error {
	pw.mu.Lock()
	if pw.err != nil {
		err = pw.err
	}
	pw.mu.Unlock()
	pw.cancel()
	pw.wg.Wait()
	return err
}

// abandon makes sure no writer outlives the Put.
func (pw *parallelWrite) abandon() {
	pw.cancel()
	pw.wg.Wait()
}

// localSlots are the Service's own bound on chunks in flight, per Put.
func (s *Service) localSlots() WriteSlots {
	return make(chanSlots, 2*runtime.GOMAXPROCS(0))
}

type chanSlots chan struct{}

func (c chanSlots) AcquireWrite(ctx context.Context) error {
	select {
	case c <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c chanSlots) ReleaseWrite() { <-c }
