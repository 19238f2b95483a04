package grpcstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/govix/govix/castore/fastcdc"

	"github.com/zeebo/blake3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castorepb"
)

// putMessageSize is how many bytes the client sends per BlobChunk on Put.
const putMessageSize = 1 << 20

// spoolInMemory is the most bytes of an unchunked blob the client keeps in
// memory while it verifies it; more goes to a temporary file.
const spoolInMemory = 8 << 20

// BlobClient is a castore.BlobService that talks to a BlobService server.
// It verifies everything it reads: each chunk against its digest before any
// of it is handed out, and the blob against its digest when read through
// (see castore.BlobService.Open).
type BlobClient struct {
	c       castorepb.BlobServiceClient
	x       *ext
	staging sync.Pool // *[]byte of putMessageSize bytes, Put reads into
	chunker *fastcdc.Chunker
	windows sync.Pool // *[]byte of 2*Max bytes, chunked Put's window
	traffic *Traffic  // the connection's, if counted
}

// Traffic returns the counts of the client's connection, or nil when
// they are not kept (see DialURL).
func (b *BlobClient) Traffic() *Traffic { return b.traffic }

// SetTraffic tells the client where its connection's traffic is counted
// (the Traffic given to DialURL), for Traffic to return.
func (b *BlobClient) SetTraffic(t *Traffic) { b.traffic = t }

var _ castore.BlobService = (*BlobClient)(nil)

// NewBlobClient returns a blob service that calls the server on cc.
func NewBlobClient(cc grpc.ClientConnInterface) *BlobClient {
	c, err := fastcdc.New(fastcdc.DefaultParams)
	if err != nil {
		panic(err) // DefaultParams are valid
	}
	b := &BlobClient{c: castorepb.NewBlobServiceClient(cc), x: newExt(cc), chunker: c}
	b.staging.New = func() any { s := make([]byte, putMessageSize); return &s }
	b.windows.New = func() any { w := make([]byte, 2*c.Params().Max); return &w }
	return b
}

// Has asks the server whether it has blob d.
func (b *BlobClient) Has(ctx context.Context, d castore.Digest) (bool, error) {
	_, err := b.c.Stat(ctx, &castorepb.StatBlobRequest{Digest: d[:]})
	if status.Code(err) == codes.NotFound {
		return false, nil
	}
	if err != nil {
		return false, fromStatus(err)
	}
	return true, nil
}

// Chunks asks the server for the chunks of blob d and checks the answer's
// form (the chunks' digests are checked when they are read).
func (b *BlobClient) Chunks(ctx context.Context, d castore.Digest) ([]castore.ChunkMeta, error) {
	resp, err := b.c.Stat(ctx, &castorepb.StatBlobRequest{Digest: d[:], SendChunks: true})
	if err != nil {
		return nil, fromStatus(err)
	}
	chunks := make([]castore.ChunkMeta, len(resp.GetChunks()))
	var total uint64
	for i, c := range resp.GetChunks() {
		dg, err := castore.DigestFromBytes(c.GetDigest())
		if err != nil {
			return nil, corruptf("blob %s: chunk %d: %v", d, i, err)
		}
		if c.GetSize() == 0 {
			return nil, corruptf("blob %s: chunk %d is empty", d, i)
		}
		total += c.GetSize()
		if total < c.GetSize() || total > 1<<62 {
			return nil, corruptf("blob %s: chunk sizes add up to more than 2^62 bytes", d)
		}
		chunks[i] = castore.ChunkMeta{Digest: dg, Size: c.GetSize()}
	}
	if len(chunks) == 1 {
		if chunks[0].Digest != d {
			return nil, corruptf("blob %s: its only chunk is %s", d, chunks[0].Digest)
		}
		return nil, nil // a blob that is its own only chunk is stored whole
	}
	return chunks, nil
}

// Open returns a verifying reader of blob d. A chunked blob is read through
// one stream while it is read in order, and chunk by chunk after seeks; a
// blob stored whole is received and verified at once.
func (b *BlobClient) Open(ctx context.Context, d castore.Digest) (io.ReadSeekCloser, error) {
	chunks, err := b.Chunks(ctx, d)
	if err != nil {
		return nil, err
	}
	if len(chunks) == 0 {
		return b.readWhole(ctx, d)
	}
	return newChunkReader(ctx, b.c, d, chunks), nil
}

// readWhole receives an unchunked blob, hashing it as it arrives, into
// memory or (past spoolInMemory) into an unlinked temporary file, and hands
// it out only once it matches d.
func (b *BlobClient) readWhole(ctx context.Context, d castore.Digest) (io.ReadSeekCloser, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := b.c.Read(ctx, &castorepb.ReadBlobRequest{Digest: d[:]})
	if err != nil {
		return nil, fromStatus(err)
	}
	h := blake3.New()
	var mem []byte
	var file *os.File
	fail := func(err error) (io.ReadSeekCloser, error) {
		if file != nil {
			file.Close()
		}
		return nil, err
	}
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(fromStatus(err))
		}
		data := msg.GetData()
		h.Write(data)
		if file == nil && len(mem)+len(data) > spoolInMemory {
			if file, err = spoolFile(mem); err != nil {
				return fail(err)
			}
			mem = nil
		}
		if file != nil {
			if _, err := file.Write(data); err != nil {
				return fail(fmt.Errorf("castore: spooling blob %s: %w", d, err))
			}
		} else {
			mem = append(mem, data...)
		}
	}
	var got castore.Digest
	h.Sum(got[:0])
	if got != d {
		return fail(corruptf("blob %s: received bytes hash to %s", d, got))
	}
	if file == nil {
		return nopCloser{bytes.NewReader(mem)}, nil
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return fail(err)
	}
	return file, nil
}

// spoolFile creates an unlinked temporary file holding first.
func spoolFile(first []byte) (*os.File, error) {
	f, err := os.CreateTemp("", "govix-blob-*")
	if err != nil {
		return nil, fmt.Errorf("castore: spooling a large blob: %w", err)
	}
	os.Remove(f.Name())
	if _, err := f.Write(first); err != nil {
		f.Close()
		return nil, fmt.Errorf("castore: spooling a large blob: %w", err)
	}
	return f, nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// Put stores what r yields. To a govix server, the blob is cut here into
// chunks as the server would cut it and the server is asked which it
// lacks: only those are sent (each as a blob of its own), and a blob of
// more than one chunk is then named by its chunk list (which the server
// checks against the blob's digest); so a file the server has costs a
// question, and a large file that changed a little the chunks that
// changed. To another server the bytes are streamed whole. Either way the
// digest the server answers with must be that of the bytes read.
func (b *BlobClient) Put(ctx context.Context, r io.Reader) (castore.Digest, uint64, error) {
	if b.x.supports(ctx, extChunked) {
		return b.putChunked(ctx, r)
	}
	return b.putWhole(ctx, r)
}

// putWhole streams what r yields to the server and checks that the digest
// the server answers with is that of the bytes sent.
func (b *BlobClient) putWhole(ctx context.Context, r io.Reader) (castore.Digest, uint64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // on a read error, the server sees the stream cancelled and stores nothing
	stream, err := b.c.Put(ctx)
	if err != nil {
		return castore.Digest{}, 0, fromStatus(err)
	}
	h := blake3.New()
	var total uint64
	sp := b.staging.Get().(*[]byte)
	defer b.staging.Put(sp)
	staging := *sp
	for {
		n, rerr := io.ReadFull(r, staging)
		if n > 0 {
			h.Write(staging[:n])
			total += uint64(n)
			// Each message gets its own copy, of just the bytes read: gRPC
			// does not promise to be done with a message when Send returns.
			msg := &castorepb.BlobChunk{Data: bytes.Clone(staging[:n])}
			if err := stream.Send(msg); err != nil {
				if err == io.EOF { // the server ended the call; its status says why
					_, err = stream.CloseAndRecv()
				}
				return castore.Digest{}, 0, fromStatus(err)
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return castore.Digest{}, 0, fmt.Errorf("castore: reading blob: %w", rerr)
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return castore.Digest{}, 0, fromStatus(err)
	}
	var want castore.Digest
	h.Sum(want[:0])
	got, err := castore.DigestFromBytes(resp.GetDigest())
	if err != nil {
		return castore.Digest{}, 0, corruptf("Put answered with a bad digest: %v", err)
	}
	if got != want {
		return castore.Digest{}, 0, corruptf("Put answered %s for a blob whose digest is %s", got, want)
	}
	return got, total, nil
}
