//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestReplInterrupt runs `govix repl` on a pseudo-terminal, as a user
// would: Ctrl-C stops a long evaluation and the REPL goes on, and the
// history is kept in $GOVIX_HOME/repl-history.
func TestReplInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the govix binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "govix")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	home := filepath.Join(dir, "home")
	cmd := exec.Command(bin, "repl")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOVIX_HOME="+home, "NO_COLOR=1")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 100})
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer tty.Close()
	var mu sync.Mutex
	var screen bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			mu.Lock()
			s := screen.String()
			if i := strings.Index(s, want); i >= 0 {
				screen.Next(i + len(want))
				mu.Unlock()
				return
			}
			mu.Unlock()
			if time.Now().After(deadline) {
				t.Fatalf("terminal never showed %q; it shows:\n%q", want, s)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("nix-repl> ")
	tty.WriteString("let f = n: if n == 0 then 0 else f (n - 1); in builtins.foldl' (a: b: a + f 5000) 0 (builtins.genList (x: x) 10000000)\r")
	// Ctrl-C until the evaluation is interrupted: one typed before the
	// terminal has left raw mode is a key for the line editor instead.
	seen := func(want string) bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(screen.String(), want)
	}
	for i := 0; i < 40 && !seen("interrupted"); i++ {
		tty.WriteString("\x03")
		time.Sleep(500 * time.Millisecond)
	}
	waitFor("interrupted")
	waitFor("nix-repl> ")
	tty.WriteString("6 * 7\r")
	waitFor("42")
	waitFor("nix-repl> ")
	tty.WriteString(":q\r")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("govix repl: %v", err)
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("govix repl did not exit after :q")
	}
	h, err := os.ReadFile(filepath.Join(home, "repl-history"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(h), "6 * 7\n") {
		t.Errorf("history:\n%s", h)
	}
}
