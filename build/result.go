package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/govix/govix/castore"
)

// Service runs build requests. Implementations are safe for concurrent
// use.
type Service interface {
	// Build runs req to its end, writing the command's log (stdout and
	// stderr, merged) to log as it comes, if log is not nil. A build whose
	// command fails, or that does not produce its outputs, returns a
	// *FailedError; other errors mean the builder could not do its job
	// (an invalid request, a store that fails, ctx done).
	Build(ctx context.Context, req *Request, log io.Writer) (*Result, error)
}

// Result is what a successful build produced.
type Result struct {
	// Outputs are in the order of Request.Outputs.
	Outputs []Output
	// Attempts are the runs of the command, oldest first; the last one
	// produced the outputs.
	Attempts []Attempt
}

// Output is one output of a build.
type Output struct {
	// Node is the output's contents, in the castore.
	Node castore.Node
	// Needles are the indexes into Request.RefscanNeedles of the needles
	// found in the output, ascending.
	Needles []int
	// NarSize and NarSHA256 describe the output's NAR serialisation when
	// HasNAR (govix extension: the OCI builder computes them while
	// scanning).
	HasNAR    bool
	NarSize   uint64
	NarSHA256 [sha256.Size]byte
}

// Attempt is one run of a request's command (govix extension).
type Attempt struct {
	// ExitCode is the exit status, or 128+n when signal n ended the
	// command.
	ExitCode int
	// Signal is the signal that ended the command, or 0.
	Signal syscall.Signal
	// Killed says why the builder killed the command ("timeout",
	// "silence", "log-limit", "canceled"), or "".
	Killed string
	// LogTail is the end of the log; LogSize how much log there was.
	LogTail []byte
	LogSize int64
	// Error is a failure that is not the command's own: the sandbox could
	// not be set up, an output is missing or could not be ingested.
	Error string
	// MissingOutputs are the requested outputs the command did not
	// produce, when that is why the attempt failed.
	MissingOutputs []string
	// Rejected says why the builder refused an output the command
	// produced, when that is why the attempt failed (RejectWritable,
	// RejectUnsupportedType); RejectedPath is the output, or the file in
	// it that was refused.
	Rejected     string
	RejectedPath string

	UserCPU, SystemCPU time.Duration
	PeakMemory         uint64
	Wall               time.Duration
	// Host is where the command ran.
	Host string
}

// Reasons for refusing an output, as Nix 2.8 refuses them when it
// registers a build's outputs.
const (
	// RejectWritable: the output is group- or world-writable.
	RejectWritable = "writable"
	// RejectUnsupportedType: the output holds a file that is not a
	// regular file, directory or symlink.
	RejectUnsupportedType = "unsupported-type"
)

// CPU is the attempt's total CPU time.
func (a *Attempt) CPU() time.Duration { return a.UserCPU + a.SystemCPU }

// Succeeded reports whether the command exited with status 0 and nothing
// else went wrong.
func (a *Attempt) Succeeded() bool {
	return a.ExitCode == 0 && a.Signal == 0 && a.Killed == "" && a.Error == "" && len(a.MissingOutputs) == 0 && a.Rejected == ""
}

// OutputsFailed reports whether the command succeeded but its outputs did
// not: one was missing or refused. Nix counts these as failures of the
// build, not of its builder.
func (a *Attempt) OutputsFailed() bool {
	return a.Error == "" && (len(a.MissingOutputs) > 0 || a.Rejected != "")
}

// Status describes how the attempt ended, the way Nix words it: "failed
// with exit code 1", "was killed by signal 9", "timed out after 10s", or
// the builder's error.
func (a *Attempt) Status() string {
	switch {
	case a.Error != "":
		return a.Error
	case len(a.MissingOutputs) > 0:
		return fmt.Sprintf("failed to produce output path %s", a.MissingOutputs[0])
	case a.Rejected == RejectWritable:
		return fmt.Sprintf("produced an output with suspicious ownership or permission (%s)", a.RejectedPath)
	case a.Rejected == RejectUnsupportedType:
		return fmt.Sprintf("produced a file of an unsupported type (%s)", a.RejectedPath)
	case a.Rejected != "":
		return fmt.Sprintf("produced an output that was refused (%s: %s)", a.Rejected, a.RejectedPath)
	case a.Killed == "timeout":
		return "timed out"
	case a.Killed == "silence":
		return "was killed after a period of silence"
	case a.Killed == "log-limit":
		return "was killed for exceeding the maximum log size"
	case a.Killed == "canceled":
		return "was canceled"
	case a.Signal != 0:
		return fmt.Sprintf("failed due to signal %d (%s)", int(a.Signal), signalName(a.Signal))
	case a.ExitCode != 0:
		return fmt.Sprintf("failed with exit code %d", a.ExitCode)
	}
	return "succeeded"
}

// LastLines returns the last n lines of the attempt's log, as Nix shows
// them when a build fails (see LastLines).
func (a *Attempt) LastLines(n int) []string {
	tail := a.LogTail
	if a.LogSize > int64(len(tail)) {
		// The tail starts inside a line: drop that line's end.
		if i := bytes.IndexByte(tail, '\n'); i >= 0 {
			tail = tail[i+1:]
		} else {
			tail = nil
		}
	}
	return LastLines(tail, n)
}

// LastLines returns the last n lines of a log the way Nix's build loop
// collects them: a newline ends a line, a carriage return moves back to
// the start of the line being collected (later characters overwrite
// earlier ones), text after the last newline is a line of its own, and
// structured log messages ("@nix {...}") are not lines.
func LastLines(log []byte, n int) []string {
	if n <= 0 {
		return nil
	}
	var lines []string
	var cur []byte
	pos := 0
	flush := func() {
		if !isJSONLogMessage(cur) {
			lines = append(lines, string(cur))
			if len(lines) > n {
				lines = lines[1:]
			}
		}
		cur, pos = cur[:0], 0
	}
	for _, c := range log {
		switch c {
		case '\r':
			pos = 0
		case '\n':
			flush()
		default:
			if pos >= len(cur) {
				cur = append(cur, c)
			} else {
				cur[pos] = c
			}
			pos++
		}
	}
	if len(cur) > 0 {
		flush()
	}
	return lines
}

func isJSONLogMessage(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("@nix "))
	return ok && json.Valid(rest)
}

// signalName is strsignal(3)'s description: Go's, capitalised as glibc's.
func signalName(s syscall.Signal) string {
	d := s.String()
	if d != "" && d[0] >= 'a' && d[0] <= 'z' {
		d = string(d[0]-'a'+'A') + d[1:]
	}
	return d
}

// FailedError is a build that ran and failed: its command failed, was
// killed, or did not produce its outputs.
type FailedError struct {
	// Attempts are every run of the command; the last one failed.
	Attempts []Attempt
}

func (e *FailedError) Error() string {
	if len(e.Attempts) == 0 {
		return "build failed"
	}
	return "builder " + e.Last().Status()
}

// Last returns the attempt that failed.
func (e *FailedError) Last() *Attempt {
	if len(e.Attempts) == 0 {
		return &Attempt{Error: "no attempt"}
	}
	return &e.Attempts[len(e.Attempts)-1]
}
