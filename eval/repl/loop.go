package repl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Prompts, as Nix's REPL shows them: the continuation prompt aligns
// further lines of an incomplete input with the first.
const (
	Prompt             = "nix-repl> "
	ContinuationPrompt = "          "
)

// ErrInterrupt is returned by a LineReader when the user interrupts the
// line being edited (Ctrl-C): the input so far is dropped.
var ErrInterrupt = errors.New("interrupted")

// LineReader reads the user's lines. ReadLine shows prompt and returns a
// line without its newline, io.EOF at the end of input, or ErrInterrupt.
type LineReader interface {
	ReadLine(prompt string) (string, error)
}

// Interrupter is implemented by LineReaders that can tell when the user
// interrupts a running evaluation (Ctrl-C at a terminal): Watch returns a
// context cancelled on interrupt and a function to stop watching.
type Interrupter interface {
	Watch(ctx context.Context) (context.Context, func())
}

// Loop reads inputs from r and processes them until :q or the end of
// input. A line that leaves the input incomplete (an open brace, a
// trailing operator) is joined with the next ones. After each input an
// empty line is written, as Nix's REPL does.
func (s *Session) Loop(ctx context.Context, r LineReader) error {
	var input strings.Builder
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		prompt := Prompt
		if input.Len() > 0 {
			prompt = ContinuationPrompt
		}
		line, err := r.ReadLine(prompt)
		switch {
		case errors.Is(err, ErrInterrupt):
			input.Reset()
			fmt.Fprintln(s.out)
			continue
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
		input.WriteString(line)
		input.WriteString("\n")
		evalCtx, stop := ctx, func() {}
		if ir, ok := r.(Interrupter); ok {
			evalCtx, stop = ir.Watch(ctx)
		}
		st := s.Process(evalCtx, input.String())
		stop()
		switch st {
		case Incomplete:
			continue
		case Quit:
			return nil
		}
		input.Reset()
		fmt.Fprintln(s.out)
	}
}

// PlainReader reads lines from a pipe or file, without editing. Like the
// line editor Nix uses when its input is not a terminal, it writes each
// prompt and echoes each line to Echo (if not nil), so that a transcript
// reads like a session at a terminal.
type PlainReader struct {
	r    *bufio.Reader
	echo io.Writer
}

// NewPlainReader returns a reader of lines from r, echoing to echo.
func NewPlainReader(r io.Reader, echo io.Writer) *PlainReader {
	return &PlainReader{r: bufio.NewReader(r), echo: echo}
}

// ReadLine implements LineReader.
func (p *PlainReader) ReadLine(prompt string) (string, error) {
	if p.echo != nil {
		io.WriteString(p.echo, prompt)
	}
	line, err := p.r.ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		return "", err
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if p.echo != nil {
		io.WriteString(p.echo, line+"\n")
	}
	return line, nil
}
