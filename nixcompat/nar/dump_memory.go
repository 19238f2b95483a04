package nar

import "sync"

// budget bounds the bytes read ahead. The file the writer is waiting for
// is exempt, so a budget full of later files cannot stall the dump.
type budget struct {
	mu      sync.Mutex
	cond    sync.Cond
	used    int64
	max     int64
	current *fileJob
	closed  bool
}

func newBudget(max int64) *budget {
	b := &budget{max: max}
	b.cond.L = &b.mu
	return b
}

func (b *budget) acquire(job *fileJob, n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.used+n > b.max && b.current != job && !b.closed {
		b.cond.Wait()
	}
	b.used += n
	return !b.closed
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
	b.cond.Broadcast()
}

func (b *budget) setCurrent(job *fileJob) {
	b.mu.Lock()
	b.current = job
	b.mu.Unlock()
	b.cond.Broadcast()
}

func (b *budget) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.cond.Broadcast()
}

// bufPool recycles chunk buffers, keeping at most max of them. (A
// sync.Pool would lose them at every collection, and fresh buffers cost
// page faults and zeroing.)
type bufPool struct {
	mu   sync.Mutex
	free [][]byte
	max  int
}

// get returns a buffer of n bytes, at most chunkSize.
func (p *bufPool) get(n int) []byte {
	p.mu.Lock()
	if k := len(p.free); k > 0 {
		b := p.free[k-1]
		p.free = p.free[:k-1]
		p.mu.Unlock()
		return b[:n]
	}
	p.mu.Unlock()
	return make([]byte, n, chunkSize)
}

func (p *bufPool) put(b []byte) {
	if cap(b) != chunkSize {
		return
	}
	p.mu.Lock()
	if len(p.free) < p.max {
		p.free = append(p.free, b[:0])
	}
	p.mu.Unlock()
}
