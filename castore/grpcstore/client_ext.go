package grpcstore

import (
	"context"
	"fmt"
	"io"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castorepb"
)

// ext calls govix's extension service (castore/protos/govix_ext.proto),
// remembering which parts of it the server offers: a Tvix server offers
// none, and the clients then speak plain tvix.castore.v1.
type ext struct {
	c      castorepb.CastoreExtServiceClient
	mu     sync.Mutex
	probed map[string]bool
}

func newExt(cc grpc.ClientConnInterface) *ext {
	return &ext{c: castorepb.NewCastoreExtServiceClient(cc), probed: make(map[string]bool)}
}

// Parts of the extension a server may offer.
const (
	extDirectories = "directories" // MissingDirectories and PutDirectories
	extChunked     = "chunked"     // MissingBlobs and PutChunked
)

// supports reports whether the server offers part, asking it the first
// time with a call that does nothing. A failure other than Unimplemented
// is not remembered (the server may be down for now) and reads as no.
func (x *ext) supports(ctx context.Context, part string) bool {
	x.mu.Lock()
	ok, known := x.probed[part]
	x.mu.Unlock()
	if known {
		return ok
	}
	var err error
	switch part {
	case extDirectories:
		_, err = x.c.MissingDirectories(ctx, &castorepb.Digests{})
	case extChunked:
		// An empty request: a server that can put chunked blobs refuses
		// it as invalid, one that cannot answers Unimplemented.
		_, err = x.c.PutChunked(ctx, &castorepb.PutChunkedRequest{})
		if status.Code(err) == codes.InvalidArgument {
			err = nil
		}
	}
	switch status.Code(err) {
	case codes.OK:
		ok = true
	case codes.Unimplemented:
		ok = false
	default:
		return false
	}
	x.mu.Lock()
	x.probed[part] = ok
	x.mu.Unlock()
	return ok
}

// missing asks which of ds the server lacks (blobs or directories), in
// calls of at most MaxDigestsPerCall digests.
func (x *ext) missing(ctx context.Context, ds []castore.Digest, blobs bool) (map[castore.Digest]bool, error) {
	out := make(map[castore.Digest]bool)
	for len(ds) > 0 {
		n := min(len(ds), MaxDigestsPerCall)
		req := &castorepb.Digests{Digests: make([][]byte, n)}
		for i, d := range ds[:n] {
			req.Digests[i] = d[:]
		}
		ds = ds[n:]
		var resp *castorepb.Digests
		var err error
		if blobs {
			resp, err = x.c.MissingBlobs(ctx, req)
		} else {
			resp, err = x.c.MissingDirectories(ctx, req)
		}
		if err != nil {
			return nil, fromStatus(err)
		}
		for _, b := range resp.GetDigests() {
			d, err := castore.DigestFromBytes(b)
			if err != nil {
				return nil, corruptf("missing digests: %v", err)
			}
			out[d] = true
		}
	}
	return out, nil
}

// size asks the server for the size of blob d without reading it.
func (x *ext) size(ctx context.Context, d castore.Digest) (uint64, bool, error) {
	resp, err := x.c.StatBlobs(ctx, &castorepb.Digests{Digests: [][]byte{d[:]}})
	if err != nil {
		return 0, false, fromStatus(err)
	}
	for _, e := range resp.GetBlobs() {
		if string(e.GetDigest()) == string(d[:]) {
			return e.GetSize(), true, nil
		}
	}
	return 0, false, nil
}

// errNoExt: the server does not offer govix's extension.
var errNoExt = status.Error(codes.Unimplemented, "the server does not offer govix.castore.v1.CastoreExtService")

func digestList(m map[castore.Digest]bool) []castore.Digest {
	out := make([]castore.Digest, 0, len(m))
	for d := range m {
		out = append(out, d)
	}
	return out
}

// MissingBlobs asks a govix server in one call which of ds it lacks
// (castore.BlobsMissing); another server is asked blob by blob.
func (b *BlobClient) MissingBlobs(ctx context.Context, ds []castore.Digest) ([]castore.Digest, error) {
	if !b.x.supports(ctx, extChunked) {
		m, err := castore.MissingBlobs(ctx, plainBlobs{b}, ds)
		return digestList(m), err
	}
	m, err := b.x.missing(ctx, ds, true)
	return digestList(m), err
}

// MissingDirectories asks a govix server in one call which of ds it lacks
// (castore.DirectoriesMissing); another server is asked one by one.
func (c *DirectoryClient) MissingDirectories(ctx context.Context, ds []castore.Digest) ([]castore.Digest, error) {
	if !c.x.supports(ctx, extDirectories) {
		m, err := castore.MissingDirectories(ctx, plainDirs{c}, ds)
		return digestList(m), err
	}
	m, err := c.x.missing(ctx, ds, false)
	return digestList(m), err
}

// plainDirs hides DirectoryClient's MissingDirectories, so that
// castore.MissingDirectories takes its fallback path.
type plainDirs struct{ *DirectoryClient }

func (plainDirs) MissingDirectories() {}

// NewPartialPutter returns a putter that streams Directories to a govix
// server's PutDirectories as they are put: they may refer to directories
// the server holds already (castore.PartialPutterMaker). Each is checked
// on its own here, and the server checks the closure. Against another
// server, Put fails with Unimplemented.
func (c *DirectoryClient) NewPartialPutter(ctx context.Context) castore.DirectoryPutter {
	ctx, cancel := context.WithCancel(ctx)
	p := &streamPutter{ctx: ctx, cancel: cancel}
	if !c.x.supports(ctx, extDirectories) {
		p.err = fromStatus(errNoExt)
		return p
	}
	p.open = func() (grpc.ClientStreamingClient[castorepb.Directory, castorepb.PutDirectoryResponse], error) {
		return c.x.c.PutDirectories(ctx)
	}
	return p
}

// streamPutter sends each Directory as it is put.
type streamPutter struct {
	ctx    context.Context
	cancel context.CancelFunc
	open   func() (grpc.ClientStreamingClient[castorepb.Directory, castorepb.PutDirectoryResponse], error)
	stream grpc.ClientStreamingClient[castorepb.Directory, castorepb.PutDirectoryResponse]
	sent   map[castore.Digest]bool
	root   castore.Digest
	err    error
}

func (p *streamPutter) fail(err error) error {
	p.err = err
	p.cancel()
	return err
}

func (p *streamPutter) Put(d *castore.Directory) error {
	if p.err != nil {
		return p.err
	}
	if err := d.Validate(); err != nil {
		return p.fail(err)
	}
	dg := d.Digest()
	p.root = dg
	if p.sent[dg] {
		return nil
	}
	if p.stream == nil {
		s, err := p.open()
		if err != nil {
			return p.fail(fromStatus(err))
		}
		p.stream, p.sent = s, make(map[castore.Digest]bool)
	}
	if err := p.stream.Send(d.ToProto()); err != nil {
		if err == io.EOF {
			_, err = p.stream.CloseAndRecv()
		}
		return p.fail(fromStatus(err))
	}
	p.sent[dg] = true
	return nil
}

func (p *streamPutter) Close() (castore.Digest, error) {
	if p.err != nil {
		return castore.Digest{}, p.err
	}
	if p.stream == nil {
		return castore.Digest{}, p.fail(fmt.Errorf("%w: no directories were sent", castore.ErrInvalid))
	}
	resp, err := p.stream.CloseAndRecv()
	if err != nil {
		return castore.Digest{}, p.fail(fromStatus(err))
	}
	p.fail(errPutterClosed)
	got, err := castore.DigestFromBytes(resp.GetRootDigest())
	if err != nil {
		return castore.Digest{}, corruptf("PutDirectories answered with a bad root digest: %v", err)
	}
	if got != p.root {
		return castore.Digest{}, corruptf("PutDirectories answered root %s, but the last directory sent was %s", got, p.root)
	}
	return p.root, nil
}
