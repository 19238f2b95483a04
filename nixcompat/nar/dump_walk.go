package nar

import (
	"fmt"
	"io/fs"
)

// The walker lists the tree in archive order and encodes its structure:
// everything but the regular files' nodes, whose places it records. It
// cuts the archive into segments as it goes, each sent to the writer (in
// order) and offered to the readers.

// walker is the walker's state: the segment it is encoding.
type walker struct {
	s   *dumpState
	seg *segment
}

func (s *dumpState) walkRoot(root string) {
	w := &walker{s: s}
	w.start()
	fi, err := s.tree.lstat(root)
	if err != nil {
		w.fail(err)
		return
	}
	w.seg.text = append(w.seg.text, tokMagic...)
	if w.walk("", root, "/", fi.Mode().Type(), 0) {
		w.cut()
	}
}

func (w *walker) start() {
	w.seg = &segment{out: make(chan filled, segmentBufs)}
	// Reuse the text and file list of a segment the writer is done with.
	select {
	case old := <-w.s.spent:
		w.seg.text, w.seg.files = old.text[:0], old.files[:0]
	default:
		w.seg.text = make([]byte, 0, segmentText)
	}
}

// cut sends the current segment and starts the next; false means the dump
// was abandoned.
func (w *walker) cut() bool {
	seg := w.seg
	// When the readers are far behind, leave the segment to the writer.
	select {
	case w.s.jobs <- seg:
		seg.offered = true
	default:
	}
	if !w.send(seg) {
		return false
	}
	w.start()
	return true
}

// send sends a segment to the writer; false means the dump was abandoned.
func (w *walker) send(seg *segment) bool {
	select {
	case w.s.segments <- seg:
		return true
	case <-w.s.ctx.Done():
		return false
	}
}

// fail sends err to the writer instead of the rest of the archive.
func (w *walker) fail(err error) {
	w.send(&segment{err: err})
}

// full reports whether the current segment should end here.
func (w *walker) full() bool {
	return len(w.seg.files) >= segmentFiles || len(w.seg.text) >= segmentText
}

// walk encodes the node at tree.join(dir, name) and everything below it;
// narPath is its path in the archive. It returns false if the dump failed
// or was abandoned.
func (w *walker) walk(dir, name, narPath string, mode fs.FileMode, depth int) bool {
	switch {
	case mode.IsRegular():
		w.seg.files = append(w.seg.files, segmentFile{at: len(w.seg.text), dir: dir, name: name})
	case mode&fs.ModeSymlink != 0:
		target, err := w.s.tree.readLink(w.s.tree.join(dir, name))
		if err == nil {
			err = validTarget(target)
		}
		if err != nil {
			w.fail(&Error{Offset: -1, Path: narPath, Err: err})
			return false
		}
		w.seg.text = appendSymlink(w.seg.text, target)
	case mode.IsDir():
		if depth > MaxDepth {
			w.fail(&Error{Offset: -1, Path: narPath, Err: ErrTooDeep})
			return false
		}
		return w.walkDir(w.s.tree.join(dir, name), narPath, depth)
	default:
		w.fail(&Error{Offset: -1, Path: narPath, Err: fmt.Errorf("%w: %s is a %v", ErrUnsupported, w.s.tree.join(dir, name), mode)})
		return false
	}
	return true
}

// walkDir encodes the directory at fsPath and its entries.
func (w *walker) walkDir(fsPath, narPath string, depth int) bool {
	w.seg.text = append(w.seg.text, tokDirectory...)
	entries, err := w.s.tree.readDir(fsPath)
	if err != nil {
		w.fail(err)
		return false
	}
	for _, e := range entries {
		if w.s.filter != nil {
			ok, err := w.s.filter(w.s.tree.join(fsPath, e.name), e.mode)
			if err != nil {
				w.fail(err)
				return false
			}
			if !ok {
				continue
			}
		}
		// Names from a directory listing are valid; a listing from an
		// fs.FS might not be.
		if err := CheckName(e.name); err != nil {
			w.fail(&Error{Offset: -1, Path: join(narPath, e.name), Err: err})
			return false
		}
		w.seg.text = appendEntryStart(w.seg.text, e.name)
		if !w.walk(fsPath, e.name, join(narPath, e.name), e.mode, depth+1) {
			return false
		}
		w.seg.text = append(w.seg.text, tokClose...)
		if w.full() && !w.cut() {
			return false
		}
	}
	w.seg.text = append(w.seg.text, tokClose...)
	return true
}
