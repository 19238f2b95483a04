package grpcstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/zeebo/blake3"
	"google.golang.org/grpc"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castorepb"
)

// maxSkip is how many chunks a reader reads through and drops from its
// sequential stream to serve a short forward seek, rather than fetching the
// chunk on its own.
const maxSkip = 4

// readAhead is how many chunks a reader that fetches chunks one by one (after
// a seek) requests ahead of the one it needs, once it sees them read in
// order.
const readAhead = 4

// chunkReader reads a chunked blob from a server, never handing out a byte
// of a chunk before the whole chunk matched its digest.
//
// Reading in order from the start, it receives the whole blob over one Read
// stream (no round trip per chunk) and cuts the stream at the chunk
// boundaries to verify each chunk; it also hashes the chunks into the blob's
// digest and checks that before handing out the last chunk, so a chunk list
// that does not add up to the blob is caught. After a seek elsewhere, it
// fetches the chunks it needs one by one (each its own Read), and a few
// ahead when they are read in order.
type chunkReader struct {
	ctx    context.Context
	cancel context.CancelFunc // ends the fetches still running at Close
	c      castorepb.BlobServiceClient
	blob   castore.Digest
	chunks []castore.ChunkMeta
	starts []int64 // starts[i] is the offset of chunk i; starts[len] the size
	pos    int64

	cur int    // index of the chunk in buf, or -1
	buf []byte // its verified bytes

	// The sequential stream, while there is one: it delivers chunk
	// streamNext next; pending holds received bytes not yet used.
	stream       grpc.ServerStreamingClient[castorepb.BlobChunk]
	streamCancel context.CancelFunc
	streamNext   int
	pending      []byte
	streamUsed   bool // a stream was opened once: do not open another

	ahead map[int]chan fetched // chunks fetched ahead, by index
	last  int                  // the chunk loaded last, or -1

	whole    *blake3.Hasher
	nextHash int // the chunk whole expects next; negative once the order broke
	err      error
}

func newChunkReader(ctx context.Context, c castorepb.BlobServiceClient, blob castore.Digest, chunks []castore.ChunkMeta) *chunkReader {
	starts := make([]int64, len(chunks)+1)
	for i, ch := range chunks {
		starts[i+1] = starts[i] + int64(ch.Size) // Chunks checked the sum fits
	}
	ctx, cancel := context.WithCancel(ctx)
	return &chunkReader{ctx: ctx, cancel: cancel, c: c, blob: blob, chunks: chunks, starts: starts, cur: -1, last: -1, whole: blake3.New()}
}

type fetched struct {
	data []byte
	err  error
}

func (r *chunkReader) size() int64 { return r.starts[len(r.chunks)] }

// load makes chunk i the current one.
func (r *chunkReader) load(i int) error {
	if r.cur == i {
		return nil
	}
	if err := r.ctx.Err(); err != nil {
		return err
	}
	c := r.chunks[i]
	var data []byte
	var err error
	switch {
	case r.stream == nil && !r.streamUsed && i == 0:
		if err = r.openStream(); err == nil {
			data, err = r.fromStream(c.Size)
		}
	case r.stream != nil && i >= r.streamNext && i-r.streamNext <= maxSkip:
		for err == nil && r.streamNext < i { // read through to chunk i, verifying
			if data, err = r.fromStream(r.chunks[r.streamNext].Size); err == nil {
				err = r.verify(r.streamNext-1, data)
			}
		}
		if err == nil {
			data, err = r.fromStream(c.Size)
		}
	default:
		r.closeStream()
		data, err = r.fetchAhead(i)
	}
	r.last = i
	if err == nil {
		err = r.verify(i, data)
	}
	if err != nil {
		r.closeStream()
		r.cur = -1
		return err
	}
	if r.stream != nil && r.streamNext == len(r.chunks) {
		// The last chunk came from the stream: it must end here.
		if _, err := r.stream.Recv(); err != io.EOF || len(r.pending) > 0 {
			r.closeStream()
			r.cur = -1
			if err != nil && err != io.EOF {
				return fromStatus(err)
			}
			return corruptf("blob %s: server sent more bytes than its chunks hold", r.blob)
		}
		r.closeStream()
	}
	r.cur, r.buf = i, data
	return nil
}

// verify checks chunk i's bytes and feeds them to the whole-blob hash while
// chunks arrive in order.
func (r *chunkReader) verify(i int, data []byte) error {
	c := r.chunks[i]
	if uint64(len(data)) != c.Size || castore.Digest(blake3.Sum256(data)) != c.Digest {
		return corruptf("blob %s: chunk %d (%s) does not match its digest", r.blob, i, c.Digest)
	}
	switch {
	case r.nextHash == i:
		r.whole.Write(data)
		r.nextHash++
		if r.nextHash == len(r.chunks) {
			var got castore.Digest
			r.whole.Sum(got[:0])
			if got != r.blob {
				return corruptf("blob %s: its chunks hash to %s", r.blob, got)
			}
		}
	case i > r.nextHash:
		r.nextHash = -1 << 62 // skipped ahead: the whole-blob check is off for good
	}
	return nil
}

func (r *chunkReader) openStream() error {
	ctx, cancel := context.WithCancel(r.ctx)
	stream, err := r.c.Read(ctx, &castorepb.ReadBlobRequest{Digest: r.blob[:]})
	if err != nil {
		cancel()
		return fromStatus(err)
	}
	r.stream, r.streamCancel, r.streamNext, r.streamUsed = stream, cancel, 0, true
	return nil
}

func (r *chunkReader) closeStream() {
	if r.stream != nil {
		r.streamCancel()
		r.stream, r.streamCancel, r.pending = nil, nil, nil
	}
}

// fromStream takes the next n bytes from the sequential stream.
func (r *chunkReader) fromStream(n uint64) ([]byte, error) {
	// Reuse buf's array: load resets cur whatever happens.
	data := r.buf[:0]
	for uint64(len(data)) < n {
		if len(r.pending) == 0 {
			msg, err := r.stream.Recv()
			if err == io.EOF {
				return nil, corruptf("blob %s: stream ended after %d bytes, its chunks hold %d", r.blob, r.starts[r.streamNext]+int64(len(data)), r.size())
			}
			if err != nil {
				return nil, fromStatus(err)
			}
			r.pending = msg.GetData()
			continue
		}
		k := min(uint64(len(r.pending)), n-uint64(len(data)))
		data = append(data, r.pending[:k]...)
		r.pending = r.pending[k:]
	}
	r.streamNext++
	return data, nil
}

// fetchAhead returns chunk i, fetched ahead earlier or now, and when the
// chunks are being read in order starts fetching the next ones.
func (r *chunkReader) fetchAhead(i int) ([]byte, error) {
	if r.ahead == nil {
		r.ahead = make(map[int]chan fetched)
	}
	for j := range r.ahead {
		if j < i || j > i+readAhead {
			delete(r.ahead, j) // seeked away: the fetch ends by itself
		}
	}
	if r.last == i-1 {
		for j := i + 1; j <= i+readAhead && j < len(r.chunks); j++ {
			if _, ok := r.ahead[j]; !ok {
				ch := make(chan fetched, 1)
				r.ahead[j] = ch
				go func(c castore.ChunkMeta) {
					data, err := r.fetchChunk(c, nil)
					ch <- fetched{data, err}
				}(r.chunks[j])
			}
		}
	}
	if ch, ok := r.ahead[i]; ok {
		delete(r.ahead, i)
		f := <-ch
		return f.data, f.err
	}
	return r.fetchChunk(r.chunks[i], r.buf[:0])
}

// fetchChunk reads one chunk with its own Read call, appending it to buf.
func (r *chunkReader) fetchChunk(c castore.ChunkMeta, buf []byte) ([]byte, error) {
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	stream, err := r.c.Read(ctx, &castorepb.ReadBlobRequest{Digest: c.Digest[:]})
	if err != nil {
		return nil, fromStatus(err)
	}
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, fromStatus(err)
		}
		if uint64(len(buf)+len(msg.GetData())) > c.Size {
			return nil, corruptf("blob %s: chunk %s is longer than its %d bytes", r.blob, c.Digest, c.Size)
		}
		buf = append(buf, msg.GetData()...)
	}
}

func (r *chunkReader) Read(p []byte) (int, error) {
	n, err := r.ReadAt(p, r.pos)
	r.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// ReadAt reads from off, loading the chunks the range covers. It moves the
// current chunk, so it is not safe for concurrent use.
func (r *chunkReader) ReadAt(p []byte, off int64) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if off < 0 {
		return 0, errors.New("castore: negative offset")
	}
	total := 0
	for len(p) > 0 {
		if off >= r.size() {
			return total, io.EOF
		}
		i := sort.Search(len(r.chunks), func(i int) bool { return r.starts[i+1] > off })
		if err := r.load(i); err != nil {
			return total, err
		}
		n := copy(p, r.buf[off-r.starts[i]:])
		p = p[n:]
		off += int64(n)
		total += n
	}
	return total, nil
}

func (r *chunkReader) Seek(off int64, whence int) (int64, error) {
	var pos int64
	switch whence {
	case io.SeekStart:
		pos = off
	case io.SeekCurrent:
		pos = r.pos + off
	case io.SeekEnd:
		pos = r.size() + off
	default:
		return r.pos, fmt.Errorf("castore: bad whence %d", whence)
	}
	if pos < 0 {
		return r.pos, fmt.Errorf("castore: seek to negative offset %d", pos)
	}
	r.pos = pos
	return pos, nil
}

func (r *chunkReader) Close() error {
	r.cancel()
	r.ahead = nil
	r.closeStream()
	r.buf, r.cur = nil, -1
	r.err = errors.New("castore: read from a closed blob reader")
	return nil
}
