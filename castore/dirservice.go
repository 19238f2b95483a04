package castore

import (
	"context"
	"errors"
	"fmt"
	"iter"
)

// DirectoryStore is the raw storage under a DirectoryService made by
// NewDirectoryService: canonical Directory encodings keyed by digest. It need
// not verify anything; the service does.
type DirectoryStore interface {
	// GetDirectory returns the stored encoding of d, or an error wrapping
	// ErrNotFound. The caller may keep the bytes.
	GetDirectory(ctx context.Context, d Digest) ([]byte, error)
	// PutDirectories stores a checked closure (leaves first) all at once:
	// after an error or a crash none of it, or all of it, may be visible,
	// but never a directory without the directories below it.
	PutDirectories(ctx context.Context, closure []EncodedDirectory) error
}

// EncodedDirectory is a Directory's digest and canonical encoding.
type EncodedDirectory struct {
	Digest Digest
	Bytes  []byte
}

// NewDirectoryService returns a DirectoryService over raw storage, which
// checks every closure put (ClosureChecker) and verifies every Directory
// read against its digest.
func NewDirectoryService(s DirectoryStore) DirectoryService { return &dirService{s} }

type dirService struct{ raw DirectoryStore }

func (s *dirService) Get(ctx context.Context, d Digest) (*Directory, error) {
	b, err := s.raw.GetDirectory(ctx, d)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("directory %s: %w", d, ErrNotFound)
		}
		return nil, fmt.Errorf("directory %s: %w", d, err)
	}
	return DecodeVerified(d, b)
}

// DecodeVerified decodes the stored or received encoding b of the Directory
// with digest d, checking that b is indeed d's encoding.
func DecodeVerified(d Digest, b []byte) (*Directory, error) {
	if Sum(b) != d {
		return nil, fmt.Errorf("directory %s: %w: the stored bytes hash to %s", d, ErrCorrupt, Sum(b))
	}
	dir, err := UnmarshalDirectory(b)
	if err != nil {
		return nil, fmt.Errorf("directory %s: %w: %w", d, ErrCorrupt, err)
	}
	return dir, nil
}

func (s *dirService) GetRecursive(ctx context.Context, root Digest) iter.Seq2[*Directory, error] {
	return WalkRecursive(ctx, root, s.Get)
}

func (s *dirService) NewPutter(ctx context.Context) DirectoryPutter {
	return &putter{ctx: ctx, raw: s.raw}
}

type putter struct {
	ctx     context.Context
	raw     DirectoryStore
	check   ClosureChecker
	closure []EncodedDirectory
	err     error
}

func (p *putter) Put(d *Directory) error {
	if p.err != nil {
		return p.err
	}
	if err := p.ctx.Err(); err != nil {
		return err
	}
	dg, isNew, err := p.check.Add(d)
	if err != nil {
		p.err = err
		return err
	}
	if isNew {
		p.closure = append(p.closure, EncodedDirectory{Digest: dg, Bytes: d.Marshal()})
	}
	return nil
}

func (p *putter) Close() (Digest, error) {
	if p.err != nil {
		return Digest{}, p.err
	}
	p.err = errors.New("castore: directory putter already closed")
	root, err := p.check.Finish()
	if err != nil {
		return Digest{}, err
	}
	if err := p.ctx.Err(); err != nil {
		return Digest{}, err
	}
	if err := p.raw.PutDirectories(p.ctx, p.closure); err != nil {
		return Digest{}, fmt.Errorf("storing directories: %w", err)
	}
	p.closure = nil
	return root, nil
}
