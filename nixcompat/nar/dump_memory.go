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
	waiting int // acquirers waiting: releases wake them only then
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
		b.waiting++
		b.cond.Wait()
		b.waiting--
	}
	b.used += n
	return !b.closed
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	wake := b.waiting > 0
	b.mu.Unlock()
	if wake {
		b.cond.Broadcast()
	}
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

// bufPool recycles chunk buffers, keeping at most max bytes of each size
// class. (A sync.Pool would lose them at every collection, and fresh
// buffers cost page faults and zeroing.) Buffers come in powers of two
// from minBuf to chunkSize bytes, so that a small file holds (and counts
// against the budget) a small buffer: most files of a source tree are a
// few kilobytes, and 64 KiB for each would let readers get only a few
// files ahead of the writer.
type bufPool struct {
	mu   sync.Mutex
	free [bufClasses][][]byte
	max  int64 // bytes kept per class
}

const (
	minBuf     = 4 << 10
	bufClasses = 5 // 4, 8, 16, 32 and 64 KiB
)

// bufCap is the capacity of the buffer for n bytes (n <= chunkSize).
func bufCap(n int) int {
	c := minBuf
	for c < n {
		c <<= 1
	}
	return c
}

func bufClass(capacity int) int {
	class := 0
	for c := minBuf; c < capacity; c <<= 1 {
		class++
	}
	return class
}

// get returns a buffer of n bytes, at most chunkSize, whose capacity is
// bufCap(n).
func (p *bufPool) get(n int) []byte {
	c := bufCap(n)
	class := bufClass(c)
	p.mu.Lock()
	if k := len(p.free[class]); k > 0 {
		b := p.free[class][k-1]
		p.free[class] = p.free[class][:k-1]
		p.mu.Unlock()
		return b[:n]
	}
	p.mu.Unlock()
	return make([]byte, n, c)
}

func (p *bufPool) put(b []byte) {
	c := cap(b)
	if c < minBuf || c > chunkSize || c&(c-1) != 0 {
		return
	}
	class := bufClass(c)
	p.mu.Lock()
	if int64(len(p.free[class])*c) < p.max {
		p.free[class] = append(p.free[class], b[:0])
	}
	p.mu.Unlock()
}
