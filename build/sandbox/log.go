package sandbox

import (
	"io"
	"os"
	"time"
)

// logPump copies a run's output from the pipe to the caller's writer,
// keeps the last bytes of it, enforces the size and silence limits and
// reports when the output ends.
type logPump struct {
	out     io.Writer
	limit   int64
	silence time.Duration

	tail   tailBuffer
	size   int64
	err    error // first error writing to out
	tooBig chan struct{}
	active chan struct{} // a token per read, for the silence timer
	done   chan struct{}
}

func newLogPump(out io.Writer, limit int64, silence time.Duration, tail int) *logPump {
	return &logPump{
		out:     out,
		limit:   limit,
		silence: silence,
		tail:    tailBuffer{buf: make([]byte, 0, min(tail, 4096)), max: tail},
		tooBig:  make(chan struct{}),
		active:  make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
}

// run reads r until EOF; it closes done when finished.
func (p *logPump) run(r *os.File) {
	defer close(p.done)
	buf := make([]byte, 32<<10)
	over := false
	for {
		n, err := r.Read(buf)
		if n > 0 {
			select {
			case p.active <- struct{}{}:
			default:
			}
			chunk := buf[:n]
			if !over {
				if p.limit > 0 && p.size+int64(n) > p.limit {
					chunk = chunk[:p.limit-p.size]
					over = true
					close(p.tooBig)
				}
				p.size += int64(len(chunk))
				p.tail.Write(chunk)
				if p.out != nil && p.err == nil {
					_, p.err = p.out.Write(chunk)
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// waitOrCut waits for the end of the output, which comes when every
// process holding the pipe has exited, for at most d: then it stops
// reading r. Every process that could hold the pipe should be gone by the
// time this is called; one that escaped must not hold the build up
// forever.
func (p *logPump) waitOrCut(r *os.File, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		_ = r.SetReadDeadline(time.Now())
		_ = r.Close()
		<-p.done
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	buf   []byte // ring once full
	start int    // index of the oldest byte when full
	max   int
}

func (t *tailBuffer) Write(p []byte) {
	if t.max <= 0 {
		return
	}
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		t.start = 0
		return
	}
	for len(p) > 0 {
		if len(t.buf) < t.max {
			n := min(len(p), t.max-len(t.buf))
			t.buf = append(t.buf, p[:n]...)
			p = p[n:]
			continue
		}
		n := copy(t.buf[t.start:], p)
		p = p[n:]
		t.start = (t.start + n) % t.max
	}
}

// Bytes returns the kept bytes, oldest first.
func (t *tailBuffer) Bytes() []byte {
	out := make([]byte, 0, len(t.buf))
	out = append(out, t.buf[t.start:]...)
	return append(out, t.buf[:t.start]...)
}
