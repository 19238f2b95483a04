package nar

import (
	"errors"
	"io"
	"runtime"
)

const (
	// bufSize is the size of the buffers of archive bytes that readers
	// fill: large enough that a hash or a pipe gets few, large writes.
	bufSize = 128 << 10
	// segmentBufs is how many filled buffers of a segment may wait for
	// the writer.
	segmentBufs = 8
	// Files of at least mapMin bytes are mapped into memory rather than
	// read (where the tree's fileReader can and the writer allows it), in
	// windows of mapWindow bytes: the writer then reads them straight
	// from the page cache, and the readers save copying most of a tree's
	// bytes.
	mapMin    = 256 << 10
	mapWindow = 1 << 20
)

// filler encodes segments into buffers of archive bytes: the segment's
// text with the files' nodes in their places, their contents read
// straight into the buffers. A reader's filler sends each full buffer to
// the writer through the segment's out channel, taking buffers within the
// memory budget; the writer's own filler writes its one buffer to direct
// whenever it is full.
type filler struct {
	s      *dumpState
	files  fileReader
	seg    *segment
	direct io.Writer // the writer's filler writes here
	buf    []byte    // the writer's filler's buffer
	tok    []byte    // scratch space for a regular node's start and end
}

// fill encodes f.seg.
func (f *filler) fill() error {
	buf, err := f.get()
	if err != nil {
		return err
	}
	text := f.seg.text
	done := 0
	for _, file := range f.seg.files {
		if buf, err = f.append(buf, text[done:file.at]); err != nil {
			return err
		}
		if buf, err = f.appendFile(buf, file); err != nil {
			return err
		}
		done = file.at
	}
	if buf, err = f.append(buf, text[done:]); err != nil {
		return err
	}
	return f.put(filled{buf: buf})
}

// appendMapped appends the contents of the open file, of the given size,
// as windows mapping it.
func (f *filler) appendMapped(buf []byte, m fileMapper, size int64, path string) ([]byte, error) {
	if err := f.put(filled{buf: buf}); err != nil {
		return nil, err
	}
	for off := int64(0); off < size; off += mapWindow {
		n := int(min(size-off, mapWindow))
		if f.direct == nil && !f.s.budget.acquire(f.seg, int64(n)) {
			return nil, f.s.ctx.Err()
		}
		b, err := m.mapFile(off, n)
		if err != nil {
			if f.direct == nil {
				f.s.budget.release(int64(n))
			}
			return nil, err
		}
		if err := f.put(filled{buf: b, mapped: path}); err != nil {
			return nil, err
		}
	}
	return f.get()
}

// get returns an empty buffer to fill.
func (f *filler) get() ([]byte, error) {
	if f.direct != nil {
		if f.buf == nil {
			f.buf = make([]byte, 0, bufSize)
		}
		return f.buf[:0], nil
	}
	if !f.s.budget.acquire(f.seg, bufSize) {
		return nil, f.s.ctx.Err()
	}
	return f.s.bufs.get(), nil
}

// put passes a filled buffer on.
func (f *filler) put(c filled) error {
	if f.direct != nil {
		return f.s.writeChunk(f.direct, c, false)
	}
	select {
	case f.seg.out <- c:
		if f.s.writerWaits.Load() {
			// The writer now waits for this P, in its run queue:
			// readers rarely block, so without yielding it would
			// often wait for the scheduler to preempt this one.
			runtime.Gosched()
		}
		return nil
	case <-f.s.ctx.Done():
		return f.s.ctx.Err()
	}
}

// next passes on buf if it is full and returns the buffer to fill next.
func (f *filler) next(buf []byte) ([]byte, error) {
	if len(buf) < cap(buf) {
		return buf, nil
	}
	if err := f.put(filled{buf: buf}); err != nil {
		return nil, err
	}
	return f.get()
}

// append appends p to the archive bytes.
func (f *filler) append(buf, p []byte) ([]byte, error) {
	for len(p) > 0 {
		var err error
		if buf, err = f.next(buf); err != nil {
			return nil, err
		}
		n := min(len(p), cap(buf)-len(buf))
		buf = append(buf, p[:n]...)
		p = p[n:]
	}
	return buf, nil
}

// appendFile appends a regular file's node.
func (f *filler) appendFile(buf []byte, file segmentFile) ([]byte, error) {
	size, exec, err := f.files.open(file.dir, file.name)
	if err != nil {
		return nil, err
	}
	defer f.files.closeFile()
	f.tok = appendRegularStart(f.tok[:0], exec, size)
	if buf, err = f.append(buf, f.tok); err != nil {
		return nil, err
	}
	if m, ok := f.files.(fileMapper); ok && f.s.mapFiles && size >= mapMin {
		buf, err = f.appendMapped(buf, m, size, f.s.tree.join(file.dir, file.name))
		if err != nil {
			return nil, err
		}
		f.tok = appendRegularEnd(f.tok[:0], size)
		return f.append(buf, f.tok)
	}
	for left := size; left > 0; {
		if buf, err = f.next(buf); err != nil {
			return nil, err
		}
		room := min(int64(cap(buf)-len(buf)), left)
		n, err := io.ReadFull(f.files, buf[len(buf):len(buf)+int(room)])
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errShorter(f.s.tree.join(file.dir, file.name))
		}
		if err != nil {
			return nil, err
		}
		buf = buf[:len(buf)+n]
		left -= int64(n)
	}
	f.tok = appendRegularEnd(f.tok[:0], size)
	return f.append(buf, f.tok)
}
