package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/govix/govix/build/graph"
	"github.com/govix/govix/nixcompat/storepath"
)

// buildDisplay shows what a build does. On a terminal it keeps a status
// area at the bottom, redrawn ten times a second: the counts and, for each
// running build, its name and last log line; messages (and with -L the log
// lines) scroll above it. Otherwise it prints plain lines as nix-build
// does: the derivations to build, "building '...'..." and each log line,
// prefixed with the derivation's name since builds run in parallel.
type buildDisplay struct {
	mu   sync.Mutex
	w    io.Writer
	dir  storepath.StoreDir
	tty  bool
	logs string // "", "all" (every line), "none"
	// verbose prints what each build used.
	verbose bool

	total, built, failed, substituted int
	running                           []*runningBuild
	drawn                             int // status lines on screen
	dirty                             bool

	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

type runningBuild struct {
	drv   storepath.StorePath
	name  string
	line  string
	start time.Time
}

func newBuildDisplay(w io.Writer, dir storepath.StoreDir, logs string) *buildDisplay {
	d := &buildDisplay{w: w, dir: dir, logs: logs, stop: make(chan struct{}), stopped: make(chan struct{})}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			d.tty = true
		}
	}
	if !d.tty {
		close(d.stopped)
		return d
	}
	go func() {
		defer close(d.stopped)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-d.stop:
				d.mu.Lock()
				d.clear()
				d.mu.Unlock()
				return
			case <-t.C:
				d.mu.Lock()
				if d.dirty || len(d.running) > 0 {
					d.redraw()
				}
				d.mu.Unlock()
			}
		}
	}()
	return d
}

// close removes the status area; safe to call twice.
func (d *buildDisplay) close() {
	d.once.Do(func() { close(d.stop) })
	<-d.stopped
}

func drvName(p storepath.StorePath) string { return strings.TrimSuffix(p.Name, storepath.DrvExtension) }

// event is the graph's event callback.
func (d *buildDisplay) event(e graph.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dirty = true
	switch e.Kind {
	case graph.Planned:
		d.total = len(e.Drvs)
		if len(e.Drvs) > 0 {
			if len(e.Drvs) == 1 {
				d.println("this derivation will be built:")
			} else {
				d.println(fmt.Sprintf("these %d derivations will be built:", len(e.Drvs)))
			}
			for _, p := range e.Drvs {
				d.println("  " + d.dir.Print(p))
			}
		}
	case graph.Substituted:
		d.substituted++
		d.println(fmt.Sprintf("copying path '%s' from a substituter", d.dir.Print(e.Path)))
	case graph.Started:
		d.running = append(d.running, &runningBuild{drv: e.Drv, name: drvName(e.Drv), start: time.Now()})
		verb := "building '%s'..."
		if e.Check {
			verb = "checking outputs of '%s'..."
		}
		d.println(fmt.Sprintf(verb, d.dir.Print(e.Drv)))
	case graph.LogLine:
		for _, r := range d.running {
			if r.drv == e.Drv {
				r.line = e.Line
			}
		}
		if d.logs == "all" || (!d.tty && d.logs == "") {
			d.println(drvName(e.Drv) + "> " + e.Line)
		}
	case graph.Built, graph.Failed:
		if e.Kind == graph.Built {
			d.built++
		} else {
			d.failed++
		}
		if d.verbose && e.Attempt != nil {
			a := e.Attempt
			verb := "built"
			if e.Kind == graph.Failed {
				verb = "failed"
			}
			d.println(fmt.Sprintf("%s '%s' in %.3f s (CPU %.3f s, peak memory %.1f MiB)",
				verb, d.dir.Print(e.Drv), a.Wall.Seconds(), a.CPU().Seconds(), float64(a.PeakMemory)/(1<<20)))
		}
		for i, r := range d.running {
			if r.drv == e.Drv {
				d.running = append(d.running[:i], d.running[i+1:]...)
				break
			}
		}
	}
}

// println prints a message line above the status area.
func (d *buildDisplay) println(s string) {
	if d.tty {
		d.clear()
	}
	fmt.Fprintln(d.w, s)
}

// clear erases the status area.
func (d *buildDisplay) clear() {
	if d.drawn > 0 {
		fmt.Fprintf(d.w, "\r\033[%dA\033[J", d.drawn)
		d.drawn = 0
	}
}

// redraw draws the status area.
func (d *buildDisplay) redraw() {
	d.clear()
	width := terminalWidth(d.w)
	var b strings.Builder
	lines := 0
	fmt.Fprintf(&b, "[%d/%d built, %d running", d.built, d.total, len(d.running))
	if d.failed > 0 {
		fmt.Fprintf(&b, ", %d failed", d.failed)
	}
	if d.substituted > 0 {
		fmt.Fprintf(&b, ", %d copied", d.substituted)
	}
	b.WriteString("]\n")
	lines++
	const maxShown = 8
	for i, r := range d.running {
		if i == maxShown {
			fmt.Fprintf(&b, "  ... and %d more\n", len(d.running)-maxShown)
			lines++
			break
		}
		s := fmt.Sprintf("  %s (%ds): %s", r.name, int(time.Since(r.start).Seconds()), r.line)
		b.WriteString(clip(s, width-1) + "\n")
		lines++
	}
	io.WriteString(d.w, b.String())
	d.drawn = lines
	d.dirty = false
}

// clip cuts s to n runes, dropping control characters.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(n-1, 0)]) + "…"
}

// terminalWidth is w's width in columns, 80 when unknown.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
			return int(ws.Col)
		}
	}
	return 80
}
