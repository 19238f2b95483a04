package grpcstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	"google.golang.org/grpc"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castorepb"
)

// DirectoryClient is a castore.DirectoryService that talks to a
// DirectoryService server. Every Directory it receives must be the one its
// digest names, and a closure must be complete and in order; every closure
// it sends is checked first with castore.ClosureChecker, so errors show up
// at the Put that caused them.
type DirectoryClient struct {
	c castorepb.DirectoryServiceClient
	x *ext
}

var _ castore.DirectoryService = (*DirectoryClient)(nil)

// NewDirectoryClient returns a directory service that calls the server on
// cc.
func NewDirectoryClient(cc grpc.ClientConnInterface) *DirectoryClient {
	return &DirectoryClient{c: castorepb.NewDirectoryServiceClient(cc), x: newExt(cc)}
}

func getRequest(d castore.Digest, recursive bool) *castorepb.GetDirectoryRequest {
	return &castorepb.GetDirectoryRequest{ByWhat: &castorepb.GetDirectoryRequest_Digest{Digest: d[:]}, Recursive: recursive}
}

// received converts a Directory message from the server, which must have
// digest want.
func received(want castore.Digest, msg *castorepb.Directory) (*castore.Directory, error) {
	dir, err := castore.DirectoryFromProto(msg)
	if err != nil {
		return nil, corruptf("directory %s: %v", want, err)
	}
	if got := dir.Digest(); got != want {
		return nil, corruptf("asked for directory %s, got %s", want, got)
	}
	return dir, nil
}

// Get fetches one Directory and checks it is the one asked for.
func (c *DirectoryClient) Get(ctx context.Context, d castore.Digest) (*castore.Directory, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.c.Get(ctx, getRequest(d, false))
	if err != nil {
		return nil, fromStatus(err)
	}
	msg, err := stream.Recv()
	if err == io.EOF {
		return nil, fmt.Errorf("castore server: directory %s: %w", d, castore.ErrNotFound)
	}
	if err != nil {
		return nil, fromStatus(err)
	}
	return received(d, msg)
}

// GetRecursive streams a closure from the server, checking as it goes that
// each Directory was referred to by one received before it (the root
// first), with the size its parents claim, and is sent only once; and at
// the end, that nothing referred to is missing.
func (c *DirectoryClient) GetRecursive(ctx context.Context, root castore.Digest) iter.Seq2[*castore.Directory, error] {
	return func(yield func(*castore.Directory, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.c.Get(ctx, getRequest(root, true))
		if err != nil {
			yield(nil, fromStatus(err))
			return
		}
		type want struct {
			size     uint64
			check    bool // false for the root, whose size nobody claims
			received bool
		}
		expected := map[castore.Digest]*want{root: {}}
		missing := 1 // expected but not received
		for {
			msg, err := stream.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				yield(nil, fromStatus(err))
				return
			}
			dir, err := castore.DirectoryFromProto(msg)
			if err != nil {
				yield(nil, corruptf("closure of %s: %v", root, err))
				return
			}
			dg := dir.Digest()
			w := expected[dg]
			switch {
			case w == nil:
				err = corruptf("closure of %s: received directory %s, which nothing received before refers to", root, dg)
			case w.received:
				err = corruptf("closure of %s: received directory %s twice", root, dg)
			case w.check && w.size != dir.Size():
				err = corruptf("closure of %s: directory %s has size %d, but its parent claims %d", root, dg, dir.Size(), w.size)
			}
			if err != nil {
				yield(nil, err)
				return
			}
			w.received = true
			missing--
			for _, e := range dir.Entries {
				if e.Kind != castore.KindDirectory {
					continue
				}
				if prev := expected[e.Digest]; prev != nil {
					if prev.check && prev.size != e.Size {
						yield(nil, corruptf("closure of %s: directory %s is claimed to have sizes %d and %d", root, e.Digest, prev.size, e.Size))
						return
					}
					continue
				}
				expected[e.Digest] = &want{size: e.Size, check: true}
				missing++
			}
			if !yield(dir, nil) {
				return
			}
		}
		switch {
		case len(expected) == 1 && missing == 1:
			yield(nil, fmt.Errorf("castore server: directory %s: %w", root, castore.ErrNotFound))
		case missing > 0:
			yield(nil, corruptf("closure of %s: the stream ended with %d directories missing", root, missing))
		}
	}
}

// NewPutter starts uploading a closure. To a govix server, the closure is
// gathered (and checked) until Close, which asks the server which of its
// directories it lacks and sends only those (the server resolves the
// others from what it holds): a new version of a large tree costs the
// directories that changed. To another server it is one Put stream,
// opened at the first Put. Cancelling ctx abandons the upload.
func (c *DirectoryClient) NewPutter(ctx context.Context) castore.DirectoryPutter {
	ctx, cancel := context.WithCancel(ctx)
	if c.x.supports(ctx, extDirectories) {
		return &gatherPutter{ctx: ctx, cancel: cancel, c: c}
	}
	return &dirPutter{ctx: ctx, cancel: cancel, c: c.c}
}

// gatherPutter gathers a closure and, at Close, sends what the server
// lacks through the extension's PutDirectories.
type gatherPutter struct {
	ctx    context.Context
	cancel context.CancelFunc
	c      *DirectoryClient
	check  castore.ClosureChecker
	dirs   []*castore.Directory // distinct, leaves first
	digs   []castore.Digest
	err    error
}

func (p *gatherPutter) fail(err error) error {
	p.err = err
	p.cancel()
	return err
}

func (p *gatherPutter) Put(d *castore.Directory) error {
	if p.err != nil {
		return p.err
	}
	dg, isNew, err := p.check.Add(d)
	if err != nil {
		return p.fail(err)
	}
	if isNew {
		p.dirs = append(p.dirs, d)
		p.digs = append(p.digs, dg)
	}
	return nil
}

func (p *gatherPutter) Close() (castore.Digest, error) {
	if p.err != nil {
		return castore.Digest{}, p.err
	}
	root, err := p.check.Finish()
	if err != nil {
		return castore.Digest{}, p.fail(err)
	}
	missing, err := p.c.x.missing(p.ctx, p.digs, false)
	if err != nil {
		return castore.Digest{}, p.fail(err)
	}
	if !missing[root] {
		// Stored already, with everything below it.
		p.fail(errPutterClosed)
		return root, nil
	}
	stream, err := p.c.x.c.PutDirectories(p.ctx)
	if err != nil {
		return castore.Digest{}, p.fail(fromStatus(err))
	}
	for i, d := range p.dirs {
		if !missing[p.digs[i]] {
			continue
		}
		if err := stream.Send(d.ToProto()); err != nil {
			if err == io.EOF { // the server ended the call; its status says why
				_, err = stream.CloseAndRecv()
			}
			return castore.Digest{}, p.fail(fromStatus(err))
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return castore.Digest{}, p.fail(fromStatus(err))
	}
	p.fail(errPutterClosed)
	got, err := castore.DigestFromBytes(resp.GetRootDigest())
	if err != nil {
		return castore.Digest{}, corruptf("PutDirectories answered with a bad root digest: %v", err)
	}
	if got != root {
		return castore.Digest{}, corruptf("PutDirectories answered root %s, but the closure's root is %s", got, root)
	}
	return root, nil
}

type dirPutter struct {
	ctx    context.Context
	cancel context.CancelFunc
	c      castorepb.DirectoryServiceClient
	check  castore.ClosureChecker
	stream grpc.ClientStreamingClient[castorepb.Directory, castorepb.PutDirectoryResponse]
	err    error // sticky
}

var errPutterClosed = errors.New("castore: directory putter already closed")

func (p *dirPutter) fail(err error) error {
	p.err = err
	p.cancel()
	return err
}

// Put checks d against the closure so far and sends it, unless it was sent
// before.
func (p *dirPutter) Put(d *castore.Directory) error {
	if p.err != nil {
		return p.err
	}
	_, isNew, err := p.check.Add(d)
	if err != nil {
		return p.fail(err)
	}
	if !isNew {
		return nil // the protocol lets repeats be left out
	}
	if p.stream == nil {
		if p.stream, err = p.c.Put(p.ctx); err != nil {
			return p.fail(fromStatus(err))
		}
	}
	if err := p.stream.Send(d.ToProto()); err != nil {
		if err == io.EOF { // the server ended the call; its status says why
			_, err = p.stream.CloseAndRecv()
		}
		return p.fail(fromStatus(err))
	}
	return nil
}

// Close checks the closure is complete, ends the stream and checks the
// server's root digest is the one sent last.
func (p *dirPutter) Close() (castore.Digest, error) {
	if p.err != nil {
		return castore.Digest{}, p.err
	}
	root, err := p.check.Finish()
	if err != nil {
		return castore.Digest{}, p.fail(err)
	}
	resp, err := p.stream.CloseAndRecv()
	if err != nil {
		return castore.Digest{}, p.fail(fromStatus(err))
	}
	p.fail(errPutterClosed)
	got, err := castore.DigestFromBytes(resp.GetRootDigest())
	if err != nil {
		return castore.Digest{}, corruptf("Put answered with a bad root digest: %v", err)
	}
	if got != root {
		return castore.Digest{}, corruptf("Put answered root %s, but the last directory sent was %s", got, root)
	}
	return root, nil
}
