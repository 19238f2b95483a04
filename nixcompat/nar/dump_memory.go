package nar

import "sync"

// budget bounds the bytes read ahead. The segment the writer is waiting
// for is exempt, so a budget full of later segments cannot stall the dump.
type budget struct {
	mu      sync.Mutex
	cond    sync.Cond
	used    int64
	max     int64
	current *segment
	closed  bool
	waiting int // acquirers waiting: releases wake them only then
}

func newBudget(max int64) *budget {
	b := &budget{max: max}
	b.cond.L = &b.mu
	return b
}

func (b *budget) acquire(seg *segment, n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.used+n > b.max && b.current != seg && !b.closed {
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

func (b *budget) setCurrent(seg *segment) {
	b.mu.Lock()
	b.current = seg
	wake := b.waiting > 0
	b.mu.Unlock()
	if wake {
		b.cond.Broadcast()
	}
}

func (b *budget) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.cond.Broadcast()
}

// bufPool recycles the buffers of archive bytes, keeping at most max of
// them. (A sync.Pool would lose them at every collection, and fresh
// buffers cost page faults and zeroing.)
type bufPool struct {
	mu   sync.Mutex
	free [][]byte
	max  int
}

// get returns an empty buffer of capacity bufSize.
func (p *bufPool) get() []byte {
	p.mu.Lock()
	if k := len(p.free); k > 0 {
		b := p.free[k-1]
		p.free = p.free[:k-1]
		p.mu.Unlock()
		return b
	}
	p.mu.Unlock()
	return make([]byte, 0, bufSize)
}

func (p *bufPool) put(b []byte) {
	p.mu.Lock()
	if len(p.free) < p.max {
		p.free = append(p.free, b[:0])
	}
	p.mu.Unlock()
}
