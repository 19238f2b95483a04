package nar

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/govix/govix/nixcompat/wire"
)

// readBufSize is the Reader's buffer for input that is not already
// buffered.
const readBufSize = 64 << 10

// Reader decodes an archive. Next moves to the next node and returns its
// header, Read reads a regular file's contents:
//
//	r := nar.NewReader(f)
//	for {
//		h, err := r.Next()
//		if err == io.EOF {
//			break // the archive is complete
//		}
//		if err != nil {
//			return err
//		}
//		if h.Type == nar.TypeRegular {
//			io.Copy(dst, r)
//		}
//	}
//
// Nodes come in archive order: a directory, then its entries in bytewise
// order of their names, each entry's subtree before the next entry.
//
// Reader accepts exactly the archives Nix writes: fields in their canonical
// order, entry names sorted and unique and valid (see CheckName), zero
// padding, names and link targets within MaxNameLen and MaxTargetLen,
// directories nested at most MaxDepth deep. Anything else is an *Error
// giving the offset and path of the problem; the first error sticks.
//
// NewReader buffers its input unless it is a *bufio.Reader, in which case
// the Reader takes exactly the archive's bytes from it and the caller can
// go on reading what follows.
type Reader struct {
	wr  *wire.Reader // over buffered input
	tok []byte
	err error

	started bool
	done    bool
	dirs    []dirFrame

	// The regular file being read.
	inFile   bool
	filePath string
	fileSize int64
	left     int64
}

type dirFrame struct {
	path string
	prev string // the previous entry's name
}

// NewReader returns a Reader decoding the archive read from r.
func NewReader(r io.Reader) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, readBufSize)
	}
	return &Reader{wr: wire.NewReader(br), tok: make([]byte, 0, 64)}
}

// Offset returns how many bytes of the archive have been consumed. Right
// after Next returns a regular file, it is where the file's contents start
// (what .ls listings call narOffset).
func (r *Reader) Offset() int64 { return r.wr.Offset() }

func (r *Reader) fail(path string, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	r.err = &Error{Offset: r.wr.Offset(), Path: path, Err: err}
	return r.err
}

// readToken reads a string of at most max bytes into r.tok.
func (r *Reader) readToken(max uint64) error {
	var err error
	r.tok, err = r.wr.ReadBytesTo(r.tok, max)
	return err
}

// expect reads a structural token and checks it is want.
func (r *Reader) expect(path, want string) error {
	if err := r.readToken(tokenMax); err != nil {
		return r.fail(path, err)
	}
	if string(r.tok) != want {
		return r.fail(path, fmt.Errorf("%w: expected %q, got %q", ErrSyntax, want, r.tok))
	}
	return nil
}

// Next advances to the next node of the archive and returns its header.
// Unread contents of the previous file are skipped. At the end of the
// archive it returns io.EOF.
func (r *Reader) Next() (*Header, error) {
	if r.err != nil {
		return nil, r.err
	}
	if !r.started {
		r.started = true
		if err := r.readToken(tokenMax); err != nil || string(r.tok) != Magic {
			switch {
			case err == nil || errors.Is(err, ErrTooLong):
				err = fmt.Errorf("%w: bad magic", ErrNotNAR)
			case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
				err = fmt.Errorf("%w: %w", ErrNotNAR, io.ErrUnexpectedEOF)
			}
			return nil, r.fail("", err)
		}
		return r.node("/")
	}
	if r.inFile {
		if err := r.endFile(); err != nil {
			return nil, err
		}
	}
	for !r.done {
		d := &r.dirs[len(r.dirs)-1]
		if err := r.readToken(tokenMax); err != nil {
			return nil, r.fail(d.path, err)
		}
		switch string(r.tok) {
		case ")":
			r.dirs = r.dirs[:len(r.dirs)-1]
			if err := r.endNode(d.path); err != nil {
				return nil, err
			}
		case "entry":
			if err := r.expect(d.path, "("); err != nil {
				return nil, err
			}
			if err := r.expect(d.path, "name"); err != nil {
				return nil, err
			}
			if err := r.readToken(MaxNameLen); err != nil {
				return nil, r.fail(d.path, fmt.Errorf("entry name: %w", err))
			}
			name := string(r.tok)
			path := join(d.path, name)
			if err := CheckName(name); err != nil {
				return nil, r.fail(d.path, err)
			}
			switch {
			case name == d.prev:
				return nil, r.fail(path, ErrDuplicate)
			case name < d.prev:
				return nil, r.fail(path, fmt.Errorf("%w: %q after %q", ErrNotSorted, name, d.prev))
			}
			d.prev = name
			if err := r.expect(path, "node"); err != nil {
				return nil, err
			}
			return r.node(path)
		default:
			return nil, r.fail(d.path, fmt.Errorf("%w: expected \"entry\" or \")\", got %q", ErrSyntax, r.tok))
		}
	}
	return nil, io.EOF
}

// node reads the start of a node up to its contents.
func (r *Reader) node(path string) (*Header, error) {
	if err := r.expect(path, "("); err != nil {
		return nil, err
	}
	if err := r.expect(path, "type"); err != nil {
		return nil, err
	}
	if err := r.readToken(tokenMax); err != nil {
		return nil, r.fail(path, err)
	}
	h := &Header{Path: path}
	switch string(r.tok) {
	case "regular":
		h.Type = TypeRegular
		if err := r.readToken(tokenMax); err != nil {
			return nil, r.fail(path, err)
		}
		if string(r.tok) == "executable" {
			h.Executable = true
			if err := r.readToken(tokenMax); err != nil {
				return nil, r.fail(path, err)
			}
			if len(r.tok) != 0 {
				return nil, r.fail(path, fmt.Errorf("%w: executable marker has value %q", ErrSyntax, r.tok))
			}
			if err := r.expect(path, "contents"); err != nil {
				return nil, err
			}
		} else if string(r.tok) != "contents" {
			return nil, r.fail(path, fmt.Errorf("%w: expected \"contents\" or \"executable\", got %q", ErrSyntax, r.tok))
		}
		size, err := r.wr.ReadUint64()
		if err != nil {
			return nil, r.fail(path, err)
		}
		if size > math.MaxInt64 {
			return nil, r.fail(path, fmt.Errorf("%w: file of %d bytes", ErrTooLong, size))
		}
		h.Size = int64(size)
		r.inFile, r.filePath, r.fileSize, r.left = true, path, h.Size, h.Size
	case "symlink":
		h.Type = TypeSymlink
		if err := r.expect(path, "target"); err != nil {
			return nil, err
		}
		if err := r.readToken(MaxTargetLen); err != nil {
			return nil, r.fail(path, fmt.Errorf("symlink target: %w", err))
		}
		h.LinkTarget = string(r.tok)
		if err := validTarget(h.LinkTarget); err != nil {
			return nil, r.fail(path, err)
		}
		if err := r.expect(path, ")"); err != nil {
			return nil, err
		}
		if err := r.endNode(path); err != nil {
			return nil, err
		}
	case "directory":
		h.Type = TypeDirectory
		if len(r.dirs) > MaxDepth {
			return nil, r.fail(path, ErrTooDeep)
		}
		r.dirs = append(r.dirs, dirFrame{path: path})
	default:
		return nil, r.fail(path, fmt.Errorf("%w: unknown node type %q", ErrSyntax, r.tok))
	}
	return h, nil
}

// endNode reads what follows a node's closing parenthesis: the end of the
// directory entry holding it, unless it is the root.
func (r *Reader) endNode(path string) error {
	if path == "/" {
		r.done = true
		return nil
	}
	return r.expect(path, ")")
}

// endFile skips what is left of the current file and reads its end.
func (r *Reader) endFile() error {
	if r.left > 0 {
		if _, err := io.CopyN(io.Discard, r, r.left); err != nil {
			if r.err != nil {
				return r.err
			}
			return r.fail(r.filePath, err)
		}
	}
	r.inFile = false
	if err := r.wr.ReadPadding(uint64(r.fileSize)); err != nil {
		return r.fail(r.filePath, err)
	}
	if err := r.expect(r.filePath, ")"); err != nil {
		return err
	}
	return r.endNode(r.filePath)
}

// Read reads the contents of the regular file Next returned last. It
// returns io.EOF at the end of the file, and 0, io.EOF for other nodes.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if !r.inFile || r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.wr.Read(p)
	r.left -= int64(n)
	if err == io.EOF && r.left > 0 {
		return n, r.fail(r.filePath, io.ErrUnexpectedEOF)
	}
	if err != nil && err != io.EOF {
		return n, r.fail(r.filePath, err)
	}
	return n, nil
}
