package graph

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/govix/govix/nixcompat/storepath"
)

// Logs keeps build logs as files, one per derivation, laid out like Nix's
// /nix/var/log/nix/drvs: DIR/<first two characters of the .drv's base
// name>/<the rest>. Logs are stored uncompressed and written as the build
// runs, so they can be read while it goes on.
type Logs struct {
	dir string
}

// NewLogs returns the log store in dir (created when needed).
func NewLogs(dir string) *Logs { return &Logs{dir: dir} }

// Path returns the file holding drv's log.
func (l *Logs) Path(drv storepath.StorePath) string {
	base := drv.String()
	return filepath.Join(l.dir, "drvs", base[:2], base[2:])
}

// Create starts a new log for drv, replacing an older one.
func (l *Logs) Create(drv storepath.StorePath) (*os.File, error) {
	p := l.Path(drv)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("build log: %w", err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("build log: %w", err)
	}
	return f, nil
}

// ErrNoLog is returned by Open for a derivation without a stored log.
var ErrNoLog = errors.New("build log not available")

// Open opens drv's log for reading.
func (l *Logs) Open(drv storepath.StorePath) (*os.File, error) {
	f, err := os.Open(l.Path(drv))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoLog
	}
	return f, err
}

// lineWriter splits a build's log into lines the way Nix does (a carriage
// return goes back to the start of the line, later characters overwrite)
// and hands each complete line to emit. It is an io.Writer.
type lineWriter struct {
	mu   sync.Mutex
	cur  []byte
	pos  int
	emit func(line string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range p {
		switch c {
		case '\r':
			w.pos = 0
		case '\n':
			w.emit(string(w.cur))
			w.cur, w.pos = w.cur[:0], 0
		default:
			if w.pos >= len(w.cur) {
				w.cur = append(w.cur, c)
			} else {
				w.cur[w.pos] = c
			}
			w.pos++
		}
	}
	return len(p), nil
}

// flush emits what is left of an unfinished line.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.cur) > 0 {
		w.emit(string(w.cur))
		w.cur, w.pos = w.cur[:0], 0
	}
}

// logSink is where one build's log goes: the log file (buffered) and the
// line splitter feeding events.
type logSink struct {
	file  *os.File
	buf   *bufio.Writer
	lines *lineWriter
	err   error
}

func (s *logSink) Write(p []byte) (int, error) {
	if s.buf != nil && s.err == nil {
		_, s.err = s.buf.Write(p)
		// Readers follow the file while the build runs: write through
		// once a line is complete.
		if s.err == nil && s.buf.Buffered() > 0 && (len(p) > 0 && p[len(p)-1] == '\n') {
			s.err = s.buf.Flush()
		}
	}
	if s.lines != nil {
		s.lines.Write(p)
	}
	return len(p), nil
}

func (s *logSink) close() error {
	if s.lines != nil {
		s.lines.flush()
	}
	if s.file == nil {
		return nil
	}
	err := s.buf.Flush()
	if cerr := s.file.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.err
	}
	return err
}

var _ io.Writer = (*logSink)(nil)
