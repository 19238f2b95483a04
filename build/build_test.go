package build

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/govix/govix/build/buildpb"
	"github.com/govix/govix/castore"
)

func validRequest() *Request {
	return &Request{
		Inputs:          []Input{{Name: "00000000000000000000000000000000-in", Node: castore.SymlinkNode("x")}},
		Args:            []string{"/bin/sh", "-c", "true"},
		WorkingDir:      "build",
		ScratchPaths:    []string{"build", "nix/store"},
		InputsDir:       "nix/store",
		Outputs:         []string{"nix/store/11111111111111111111111111111111-out"},
		Env:             []EnvVar{{"A", "1"}, {"B", "2"}},
		Constraints:     Constraints{System: "x86_64-linux", AvailableROPaths: []string{"/dev/kvm"}},
		AdditionalFiles: []File{{Path: "build/.attrs.json", Contents: []byte("{}")}},
		RefscanNeedles:  []string{"00000000000000000000000000000000", "11111111111111111111111111111111"},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *Request)
		want   string // "" for valid
	}{
		{"valid", func(r *Request) {}, ""},
		{"no command", func(r *Request) { r.Args = nil }, "no command"},
		{"no system", func(r *Request) { r.Constraints.System = "" }, "no system"},
		{"dotdot output", func(r *Request) { r.Outputs = []string{"nix/store/../x"} }, "clean relative"},
		{"absolute scratch", func(r *Request) { r.ScratchPaths = []string{"/build"} }, "clean relative"},
		{"unsorted scratch", func(r *Request) { r.ScratchPaths = []string{"nix/store", "build"} }, "not sorted"},
		{"output outside scratch", func(r *Request) { r.Outputs = []string{"tmp/x"} }, "not inside a scratch path"},
		{"output is a scratch path", func(r *Request) { r.Outputs = []string{"build"} }, "not inside a scratch path"},
		{"unsorted env", func(r *Request) { r.Env = []EnvVar{{"B", ""}, {"A", ""}} }, "not sorted"},
		{"env with =", func(r *Request) { r.Env = []EnvVar{{"A=B", ""}} }, "environment variable"},
		{"bad input name", func(r *Request) { r.Inputs[0].Name = "a/b" }, "input"},
		{"duplicate inputs", func(r *Request) { r.Inputs = append(r.Inputs, r.Inputs[0]) }, "or not unique"},
		{"file outside scratch", func(r *Request) { r.AdditionalFiles[0].Path = "etc/passwd" }, "not inside a scratch path"},
		{"bad needle", func(r *Request) { r.RefscanNeedles = []string{"short"} }, "needle"},
		{"relative ro path", func(r *Request) { r.Constraints.AvailableROPaths = []string{"dev/kvm"} }, "clean absolute"},
		{"NUL in argument", func(r *Request) { r.Args = append(r.Args, "a\x00b") }, "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRequest()
			tt.change(r)
			err := r.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestProtoRoundTrip(t *testing.T) {
	r := validRequest()
	r.Limits.MaxLogSize = 1000
	r.Terminal = true
	back, err := RequestFromProto(r.ToProto())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Args, r.Args) || back.Inputs[0] != r.Inputs[0] || !back.Terminal || back.Limits.MaxLogSize != 1000 ||
		!slices.Equal(back.Env, r.Env) || string(back.AdditionalFiles[0].Contents) != "{}" {
		t.Errorf("round trip: %+v", back)
	}
	res := &Result{
		Outputs:  []Output{{Node: castore.FileNode(castore.Sum(nil), 0, true), Needles: []int{1}, HasNAR: true, NarSize: 9}},
		Attempts: []Attempt{{ExitCode: 0, LogTail: []byte("x"), Host: "h"}},
	}
	got, err := ResultFromProto(r, ResultToProto(r, res))
	if err != nil {
		t.Fatal(err)
	}
	if got.Outputs[0].Node != res.Outputs[0].Node || !slices.Equal(got.Outputs[0].Needles, []int{1}) || got.Attempts[0].Host != "h" {
		t.Errorf("result round trip: %+v", got)
	}
	// A result whose needles point past the request's is refused.
	bad := ResultToProto(r, res)
	bad.OutputsNeedles[0].Needles = []uint64{7}
	if _, err := ResultFromProto(r, bad); err == nil {
		t.Error("needle out of range accepted")
	}
}

func TestLastLines(t *testing.T) {
	tests := []struct {
		log  string
		n    int
		want []string
	}{
		{"", 10, nil},
		{"one\ntwo\n", 10, []string{"one", "two"}},
		{"one\ntwo", 10, []string{"one", "two"}},
		{"a\nb\nc\n", 2, []string{"b", "c"}},
		// A carriage return starts over: later characters overwrite.
		{"progress 10%\rprogress 100%\n", 10, []string{"progress 100%"}},
		{"abcdef\rXY\n", 10, []string{"XYcdef"}},
		{"\n\n", 10, []string{"", ""}},
		// Structured log messages are not lines.
		{"@nix {\"action\":\"msg\"}\nreal\n", 10, []string{"real"}},
		{"@nix not json\n", 10, []string{"@nix not json"}},
	}
	for _, tt := range tests {
		if got := LastLines([]byte(tt.log), tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("LastLines(%q, %d) = %q, want %q", tt.log, tt.n, got, tt.want)
		}
	}
	// A tail that starts inside a line drops that line.
	a := Attempt{LogTail: []byte("end of a line\nwhole\n"), LogSize: 1000}
	if got := a.LastLines(10); !slices.Equal(got, []string{"whole"}) {
		t.Errorf("truncated tail: %q", got)
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		a    Attempt
		want string
	}{
		{Attempt{ExitCode: 3}, "failed with exit code 3"},
		{Attempt{ExitCode: 137, Signal: 9}, "failed due to signal 9 (Killed)"},
		{Attempt{ExitCode: 137, Signal: 9, Killed: "timeout"}, "timed out"},
		{Attempt{MissingOutputs: []string{"/nix/store/x"}}, "failed to produce output path /nix/store/x"},
		{Attempt{Error: "exec: no such file"}, "exec: no such file"},
	}
	for _, tt := range tests {
		if got := tt.a.Status(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.a, got, tt.want)
		}
	}
}

// FuzzRequestFromProto: any bytes give a valid request or an error.
func FuzzRequestFromProto(f *testing.F) {
	b, _ := proto.Marshal(validRequest().ToProto())
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var p buildpb.BuildRequest
		if proto.Unmarshal(data, &p) != nil {
			return
		}
		r, err := RequestFromProto(&p)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("RequestFromProto returned an invalid request: %v", err)
		}
		r.ToProto()
	})
}
