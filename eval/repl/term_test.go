//go:build linux || darwin

package repl

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ptyTest runs a session on a pseudo-terminal: keys are written to the
// terminal's master side, and what the session draws is collected.
type ptyTest struct {
	t      *testing.T
	master *os.File
	mu     sync.Mutex
	screen bytes.Buffer
	done   chan error
	term   *Terminal
}

func startPTY(t *testing.T, s *Session, history string) *ptyTest {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	if err := pty.Setsize(master, &pty.Winsize{Rows: 24, Cols: 100}); err != nil {
		t.Fatal(err)
	}
	p := &ptyTest{t: t, master: master, done: make(chan error, 1)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			p.mu.Lock()
			p.screen.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	s.out, s.errw = slave, slave
	term, err := NewTerminal(s, TerminalOptions{In: slave, Out: slave, HistoryFile: history})
	if err != nil {
		t.Fatal(err)
	}
	p.term = term
	go func() {
		err := s.Loop(context.Background(), term)
		term.Close()
		p.done <- err
	}()
	t.Cleanup(func() {
		master.Close()
		slave.Close()
	})
	return p
}

// typeKeys sends keys to the terminal.
func (p *ptyTest) typeKeys(keys string) {
	p.t.Helper()
	if _, err := p.master.WriteString(keys); err != nil {
		p.t.Fatal(err)
	}
}

// waitFor waits until the screen output since the last call contains
// want (the deadline only bounds a failing test).
func (p *ptyTest) waitFor(want string) {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p.mu.Lock()
		s := p.screen.String()
		if i := strings.Index(s, want); i >= 0 {
			p.screen.Next(i + len(want))
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		if time.Now().After(deadline) {
			p.t.Fatalf("terminal never showed %q; it shows:\n%q", want, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *ptyTest) wait() {
	p.t.Helper()
	select {
	case err := <-p.done:
		if err != nil {
			p.t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		p.t.Fatal("the session did not end")
	}
}

func TestTerminal(t *testing.T) {
	dir := t.TempDir()
	history := filepath.Join(dir, "repl-history")
	s := New(Options{Dir: dir})
	p := startPTY(t, s, history)
	p.waitFor(Prompt)

	// Completion of an attribute path: the common prefix, then the rest.
	p.typeKeys("pkgs = { hello = 1; libfoo = 20; libbar = 300; }\r")
	p.waitFor(Prompt)
	p.typeKeys("pkgs.h\t")
	p.waitFor("pkgs.hello")
	p.typeKeys("\r")
	p.waitFor("1\r\n")
	p.waitFor(Prompt)
	p.typeKeys("pkgs.lib\t\t")
	p.waitFor("libbar")
	p.typeKeys("\x15") // Ctrl-U: kill the line
	p.typeKeys("pkgs.libf\t\r")
	p.waitFor("20\r\n")

	// Editing: Ctrl-A goes to the start of the line, then insert.
	p.waitFor(Prompt)
	p.typeKeys("0 + 1\x01" + "4")
	p.typeKeys("\r")
	p.waitFor("41\r\n")

	// History: the up arrow brings back the last line.
	p.waitFor(Prompt)
	p.typeKeys("\x1b[A\r")
	p.waitFor("41\r\n")

	// Multi-line input and an error that does not end the session.
	p.waitFor(Prompt)
	p.typeKeys("{ a =\r")
	p.waitFor(ContinuationPrompt)
	p.typeKeys("2; }\r")
	p.waitFor("{ a = 2; }")
	p.typeKeys("undefinedThing\r")
	p.waitFor("undefined variable 'undefinedThing'")
	p.typeKeys(":q\r")
	p.wait()

	h, err := os.ReadFile(history)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pkgs.hello\n", "40 + 1\n", ":q\n"} {
		if !strings.Contains(string(h), want) {
			t.Errorf("history lacks %q:\n%s", want, h)
		}
	}

	// A new session starts with that history; Ctrl-D on an empty line
	// ends it.
	p = startPTY(t, New(Options{Dir: dir}), history)
	p.waitFor(Prompt)
	p.typeKeys("\x1b[A\x1b[A\r")
	p.waitFor("undefined variable 'undefinedThing'")
	p.waitFor(Prompt)
	p.typeKeys("\x04")
	p.wait()
}
