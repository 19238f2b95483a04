// Package fastcdc finds content-defined chunk boundaries with FastCDC (Xia
// et al., "FastCDC: a Fast and Efficient Content-Defined Chunking Approach
// for Data Deduplication", USENIX ATC 2016): a gear rolling hash, no
// hashing of the first Min bytes of a chunk, and "normalized chunking" (a
// stricter mask before the average size, a looser one after) so that chunk
// sizes cluster around the average.
//
// Boundaries depend only on the bytes near them, so an insertion or change
// in a large file moves only the chunks around it and the rest are shared
// with the old version. The gear table and masks are part of the on-disk
// format's deduplication behaviour: changing them does not break stores,
// but new chunks would no longer match old ones.
package fastcdc

import (
	"fmt"
	"math/bits"
)

// Params are the chunk size bounds in bytes. Avg must be a power of two.
type Params struct {
	Min, Avg, Max int
}

// DefaultParams are castore's: chunks of 64 KiB to 1 MiB, 256 KiB on
// average. Blobs of at most Min bytes are always a single chunk.
var DefaultParams = Params{Min: 64 << 10, Avg: 256 << 10, Max: 1 << 20}

// Chunker cuts byte streams with fixed parameters. It is immutable and safe
// for concurrent use.
type Chunker struct {
	p            Params
	maskS, maskL uint64
}

// New returns a Chunker for p.
func New(p Params) (*Chunker, error) {
	if p.Min < 64 || p.Avg <= p.Min || p.Max <= p.Avg || p.Avg&(p.Avg-1) != 0 {
		return nil, fmt.Errorf("fastcdc: bad parameters %+v (want 64 <= Min < Avg < Max, Avg a power of two)", p)
	}
	b := bits.TrailingZeros(uint(p.Avg))
	// Normalization level 2: two more mask bits before Avg, two fewer after.
	return &Chunker{p: p, maskS: topBits(b + 2), maskL: topBits(b - 2)}, nil
}

// Params returns the chunker's parameters.
func (c *Chunker) Params() Params { return c.p }

// topBits returns a mask of the n most significant bits. The gear hash's
// high bits depend on the last 64 bytes; its low bits on only the last few.
func topBits(n int) uint64 { return ^uint64(0) << (64 - n) }

// Cut returns the length of the first chunk of data. With at least Max bytes
// (or all remaining bytes of the stream) in data, the answer is final; the
// caller must not cut on less unless the stream has ended.
func (c *Chunker) Cut(data []byte) int {
	n := len(data)
	if n <= c.p.Min {
		return n
	}
	if n > c.p.Max {
		n = c.p.Max
	}
	normal := c.p.Avg
	if n < normal {
		normal = n
	}
	var fp uint64
	i := c.p.Min
	// The hash only looks 64 bytes back, so starting it 64 bytes before Min
	// gives the same boundaries as hashing from the chunk's start.
	for j := i - 64; j < i; j++ {
		fp = fp<<1 + gear[data[j]]
	}
	for ; i < normal; i++ {
		fp = fp<<1 + gear[data[i]]
		if fp&c.maskS == 0 {
			return i + 1
		}
	}
	for ; i < n; i++ {
		fp = fp<<1 + gear[data[i]]
		if fp&c.maskL == 0 {
			return i + 1
		}
	}
	return n
}

// gear maps each byte to a random 64-bit value, from a fixed SplitMix64
// sequence so that every govix cuts the same way.
var gear = func() (t [256]uint64) {
	s := uint64(0x676f7669782d6364) // "govix-cd"
	for i := range t {
		s += 0x9e3779b97f4a7c15
		z := s
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		t[i] = z ^ z>>31
	}
	return t
}()
