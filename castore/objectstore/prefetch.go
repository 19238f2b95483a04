package objectstore

import (
	"context"
	"io"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/chunked"
)

// readAhead is how many chunks past the one being read a blob reader
// fetches in the background: with an object store's tens of milliseconds
// per request, a reader that waited for each chunk in turn would read a few
// megabytes a second.
const readAhead = 8

// prefetcher is the chunked.Store one reader of one chunked blob reads
// through: it knows the blob's chunk list, so when chunk i is asked for it
// starts fetching the next readAhead chunks. Reads in any order work; only
// reads in order gain. Not safe for concurrent use (a reader is not).
type prefetcher struct {
	*objects
	chunks  []castore.ChunkMeta
	pending map[int]chan fetched // fetches started, by chunk index
	last    int                  // index of the chunk read last
}

type fetched struct {
	data []byte
	err  error
}

// openChunked returns a verifying reader of a blob with the given chunks
// that reads ahead.
func (o *objects) openChunked(ctx context.Context, blob castore.Digest, chunks []castore.ChunkMeta) (io.ReadSeekCloser, error) {
	p := &prefetcher{objects: o, chunks: chunks, pending: make(map[int]chan fetched), last: -1}
	return chunked.New(p).Open(ctx, blob)
}

// Manifest answers with the chunk list the reader was opened with.
func (p *prefetcher) Manifest(context.Context, castore.Digest) ([]castore.ChunkMeta, error) {
	return p.chunks, nil
}

// ReadChunk returns chunk d, from a fetch started earlier when there is
// one, and starts fetching the chunks after it.
func (p *prefetcher) ReadChunk(ctx context.Context, d castore.Digest, buf []byte) ([]byte, error) {
	i := p.indexOf(d)
	if i < 0 { // not one of the blob's chunks: just read it
		return p.objects.ReadChunk(ctx, d, buf)
	}
	p.last = i
	for j := range p.pending {
		if j < i || j > i+readAhead {
			delete(p.pending, j) // passed by or seeked away from; the fetch ends by itself
		}
	}
	for j := i + 1; j <= i+readAhead && j < len(p.chunks); j++ {
		if _, ok := p.pending[j]; !ok {
			p.pending[j] = p.fetch(ctx, p.chunks[j].Digest)
		}
	}
	if ch, ok := p.pending[i]; ok {
		delete(p.pending, i)
		f := <-ch
		if f.err != nil {
			return nil, f.err
		}
		return append(buf, f.data...), nil
	}
	return p.objects.ReadChunk(ctx, d, buf)
}

// indexOf finds chunk d in the list, looking first just after the chunk
// read last (the usual case, and right for chunks that repeat).
func (p *prefetcher) indexOf(d castore.Digest) int {
	if n := p.last + 1; n < len(p.chunks) && p.chunks[n].Digest == d {
		return n
	}
	for i, c := range p.chunks {
		if c.Digest == d {
			return i
		}
	}
	return -1
}

func (p *prefetcher) fetch(ctx context.Context, d castore.Digest) chan fetched {
	ch := make(chan fetched, 1)
	p.objects.background(ctx, func(ctx context.Context) {
		data, err := p.objects.ReadChunk(ctx, d, nil)
		ch <- fetched{data, err}
	})
	return ch
}
