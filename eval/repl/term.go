//go:build !js && !wasip1

package repl

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/chzyer/readline"
)

// Terminal is a LineReader for an interactive terminal: line editing
// (Emacs keys), history kept in a file, and Tab completion from the
// Session. Ctrl-C drops the line being edited, or interrupts a running
// evaluation; Ctrl-D on an empty line ends the input.
type Terminal struct {
	rl *readline.Instance
}

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool { return readline.IsTerminal(int(f.Fd())) }

// TerminalOptions configure NewTerminal.
type TerminalOptions struct {
	In          *os.File  // the terminal read from (raw mode while editing)
	Out         io.Writer // where prompts and edited lines are drawn
	HistoryFile string    // "" keeps no history across sessions
}

// historyLimit is the number of lines kept, as Nix's REPL keeps.
const historyLimit = 1000

// NewTerminal returns a line editor on the terminal opts.In, completing
// with s. Close restores the terminal and saves the history.
func NewTerminal(s *Session, opts TerminalOptions) (*Terminal, error) {
	fd := int(opts.In.Fd())
	var saved *readline.State
	rl, err := readline.NewEx(&readline.Config{
		Prompt:       Prompt,
		HistoryFile:  opts.HistoryFile,
		HistoryLimit: historyLimit,
		// Lines are saved by ReadLine: the editor's own saving happens
		// after it has returned the line, and would race with Close.
		DisableAutoSaveHistory: true,
		AutoComplete:           &completer{s: s},
		Stdin:                  opts.In,
		Stdout:                 opts.Out,
		Stderr:                 opts.Out,
		InterruptPrompt:        "^C",
		EOFPrompt:              "",
		FuncIsTerminal:         func() bool { return readline.IsTerminal(fd) },
		FuncGetWidth: func() int {
			w, _, err := readline.GetSize(fd)
			if err != nil || w <= 0 {
				return 80
			}
			return w
		},
		FuncMakeRaw: func() error {
			st, err := readline.MakeRaw(fd)
			saved = st
			return err
		},
		FuncExitRaw: func() error {
			if saved == nil {
				return nil
			}
			return readline.Restore(fd, saved)
		},
	})
	if err != nil {
		return nil, err
	}
	return &Terminal{rl: rl}, nil
}

// ReadLine implements LineReader.
func (t *Terminal) ReadLine(prompt string) (string, error) {
	t.rl.SetPrompt(prompt)
	line, err := t.rl.Readline()
	switch {
	case errors.Is(err, readline.ErrInterrupt):
		return "", ErrInterrupt
	case err != nil:
		return "", err
	}
	if strings.TrimSpace(line) != "" {
		t.rl.SaveHistory(line)
	}
	return line, nil
}

// Watch implements Interrupter: Ctrl-C (SIGINT, the terminal being out
// of raw mode while evaluating) cancels the returned context.
func (t *Terminal) Watch(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			cancel()
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
}

// Close restores the terminal and writes the history.
func (t *Terminal) Close() error { return t.rl.Close() }

// completer adapts Session.Complete to the line editor: it returns the
// text each completion adds after the cursor, and the length of the word
// being completed (for listing candidates).
type completer struct{ s *Session }

func (c *completer) Do(line []rune, pos int) ([][]rune, int) {
	prefix := string(line[:pos])
	all := c.s.Complete(context.Background(), prefix)
	word := prefix[strings.LastIndexAny(prefix, " \n\r\t(){}[]./")+1:]
	out := make([][]rune, 0, len(all))
	for _, cand := range all {
		if strings.HasPrefix(cand, prefix) {
			out = append(out, []rune(cand[len(prefix):]))
		}
	}
	return out, len([]rune(word))
}
