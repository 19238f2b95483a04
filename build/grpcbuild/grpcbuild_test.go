package grpcbuild

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/govix/govix/build"
	"github.com/govix/govix/castore"
)

// fakeService "builds" by echoing: it writes the command's arguments to
// the log and returns one file node per output, or fails when the
// command is "fail".
type fakeService struct{}

func (fakeService) Build(ctx context.Context, req *build.Request, log io.Writer) (*build.Result, error) {
	if log != nil {
		for _, a := range req.Args {
			io.WriteString(log, a+"\n")
		}
	}
	att := build.Attempt{UserCPU: time.Millisecond, Wall: 2 * time.Millisecond, PeakMemory: 1 << 20, Host: "fake"}
	if req.Args[0] == "fail" {
		att.ExitCode = 3
		att.LogTail = []byte("it broke\n")
		att.LogSize = 9
		return nil, &build.FailedError{Attempts: []build.Attempt{att}}
	}
	res := &build.Result{Attempts: []build.Attempt{att}}
	for i := range req.Outputs {
		res.Outputs = append(res.Outputs, build.Output{
			Node:    castore.FileNode(castore.Sum([]byte{byte(i)}), 1, false),
			Needles: []int{0},
			HasNAR:  true, NarSize: 120,
		})
	}
	return res, nil
}

func serve(t *testing.T) *Client {
	sock := filepath.Join(t.TempDir(), "build.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	NewServer(fakeService{}).Register(gs)
	go gs.Serve(l)
	t.Cleanup(gs.Stop)
	c, err := Dial("grpc+unix://" + sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func request(cmd string) *build.Request {
	return &build.Request{
		Args:           []string{cmd, "arg"},
		WorkingDir:     "build",
		ScratchPaths:   []string{"build", "nix/store"},
		InputsDir:      "nix/store",
		Outputs:        []string{"nix/store/00000000000000000000000000000000-a", "nix/store/11111111111111111111111111111111-b"},
		Constraints:    build.Constraints{System: "x86_64-linux"},
		RefscanNeedles: []string{"00000000000000000000000000000000"},
	}
}

func TestRoundTrip(t *testing.T) {
	c := serve(t)
	ctx := context.Background()
	for _, streaming := range []bool{false, true} {
		var log bytes.Buffer
		var w io.Writer
		if streaming {
			w = &log
		}
		res, err := c.Build(ctx, request("/bin/true"), w)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Outputs) != 2 || !slices.Equal(res.Outputs[1].Needles, []int{0}) || !res.Outputs[0].HasNAR || res.Outputs[0].NarSize != 120 {
			t.Errorf("result %+v", res)
		}
		if a := res.Attempts[0]; a.Host != "fake" || a.PeakMemory != 1<<20 || a.UserCPU != time.Millisecond {
			t.Errorf("attempt %+v", a)
		}
		if streaming && log.String() != "/bin/true\narg\n" {
			t.Errorf("log %q", log.String())
		}
	}
}

func TestFailureDetails(t *testing.T) {
	c := serve(t)
	for _, w := range []io.Writer{nil, io.Discard} {
		_, err := c.Build(context.Background(), request("fail"), w)
		var fe *build.FailedError
		if !errors.As(err, &fe) {
			t.Fatalf("err = %v", err)
		}
		if a := fe.Last(); a.ExitCode != 3 || string(a.LogTail) != "it broke\n" || a.Host != "fake" {
			t.Errorf("attempt %+v", a)
		}
	}
}

// TestTvixClient: a client that knows only Tvix's messages sees a plain
// error status for a failure and a Build for a success.
func TestTvixClient(t *testing.T) {
	c := serve(t)
	raw := c.c
	_, err := raw.DoBuild(context.Background(), request("fail").ToProto())
	if status.Code(err) != codes.Aborted {
		t.Errorf("status %v", err)
	}
	b, err := raw.DoBuild(context.Background(), request("/bin/true").ToProto())
	if err != nil || len(b.GetOutputs()) != 2 || len(b.GetOutputsNeedles()) != 2 {
		t.Errorf("build %v, %v", b, err)
	}
	// An invalid request is refused.
	bad := request("/bin/true").ToProto()
	bad.Outputs = []string{"../x"}
	if _, err := raw.DoBuild(context.Background(), bad); status.Code(err) != codes.InvalidArgument {
		t.Errorf("invalid request: %v", err)
	}
}
