package build

import (
	"fmt"
	"syscall"
	"time"

	"github.com/govix/govix/build/buildpb"
	"github.com/govix/govix/castore"
)

// ToProto converts the request to its wire form.
func (r *Request) ToProto() *buildpb.BuildRequest {
	p := &buildpb.BuildRequest{
		CommandArgs:    r.Args,
		WorkingDir:     r.WorkingDir,
		ScratchPaths:   r.ScratchPaths,
		InputsDir:      r.InputsDir,
		Outputs:        r.Outputs,
		RefscanNeedles: r.RefscanNeedles,
		Constraints: &buildpb.BuildRequest_BuildConstraints{
			System:           r.Constraints.System,
			MinMemory:        r.Constraints.MinMemory,
			AvailableRoPaths: r.Constraints.AvailableROPaths,
			NetworkAccess:    r.Constraints.NetworkAccess,
			ProvideBinSh:     r.Constraints.ProvideBinSh,
		},
		Terminal:     r.Terminal,
		LogTailBytes: uint64(r.LogTail),
		EndWithLog:   r.EndWithLog,
	}
	for _, in := range r.Inputs {
		p.Inputs = append(p.Inputs, castore.NodeToProto(in.Name, in.Node))
	}
	for _, e := range r.Env {
		p.EnvironmentVars = append(p.EnvironmentVars, &buildpb.BuildRequest_EnvVar{Key: e.Key, Value: []byte(e.Value)})
	}
	for _, f := range r.AdditionalFiles {
		p.AdditionalFiles = append(p.AdditionalFiles, &buildpb.BuildRequest_AdditionalFile{Path: f.Path, Contents: f.Contents})
	}
	if l := r.Limits; l != (Limits{}) {
		p.Limits = &buildpb.BuildRequest_Limits{
			TimeoutSeconds:   seconds(l.Timeout),
			MaxSilentSeconds: seconds(l.MaxSilence),
			MaxLogBytes:      uint64(max(l.MaxLogSize, 0)),
		}
	}
	return p
}

// seconds rounds a positive duration up to whole seconds.
func seconds(d time.Duration) uint64 {
	if d <= 0 {
		return 0
	}
	return uint64((d + time.Second - 1) / time.Second)
}

// RequestFromProto converts a wire request and validates it.
func RequestFromProto(p *buildpb.BuildRequest) (*Request, error) {
	r := &Request{
		Args:           p.GetCommandArgs(),
		WorkingDir:     p.GetWorkingDir(),
		ScratchPaths:   p.GetScratchPaths(),
		InputsDir:      p.GetInputsDir(),
		Outputs:        p.GetOutputs(),
		RefscanNeedles: p.GetRefscanNeedles(),
		Terminal:       p.GetTerminal(),
		EndWithLog:     p.GetEndWithLog(),
	}
	if c := p.GetConstraints(); c != nil {
		r.Constraints = Constraints{
			System:           c.GetSystem(),
			MinMemory:        c.GetMinMemory(),
			AvailableROPaths: c.GetAvailableRoPaths(),
			NetworkAccess:    c.GetNetworkAccess(),
			ProvideBinSh:     c.GetProvideBinSh(),
		}
	}
	const maxTail = 16 << 20
	if t := p.GetLogTailBytes(); t > maxTail {
		return nil, invalid("log tail of %d bytes is more than %d", t, maxTail)
	} else {
		r.LogTail = int(t)
	}
	for _, pn := range p.GetInputs() {
		name, n, err := castore.NodeFromProto(pn)
		if err != nil {
			return nil, invalid("input: %v", err)
		}
		r.Inputs = append(r.Inputs, Input{Name: name, Node: n})
	}
	for _, e := range p.GetEnvironmentVars() {
		r.Env = append(r.Env, EnvVar{Key: e.GetKey(), Value: string(e.GetValue())})
	}
	for _, f := range p.GetAdditionalFiles() {
		r.AdditionalFiles = append(r.AdditionalFiles, File{Path: f.GetPath(), Contents: f.GetContents()})
	}
	if l := p.GetLimits(); l != nil {
		const maxSeconds = uint64(1<<63-1) / uint64(time.Second)
		if l.GetTimeoutSeconds() > maxSeconds || l.GetMaxSilentSeconds() > maxSeconds || l.GetMaxLogBytes() > 1<<62 {
			return nil, invalid("limit out of range")
		}
		r.Limits = Limits{
			Timeout:    time.Duration(l.GetTimeoutSeconds()) * time.Second,
			MaxSilence: time.Duration(l.GetMaxSilentSeconds()) * time.Second,
			MaxLogSize: int64(l.GetMaxLogBytes()),
		}
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// ResultToProto converts a result to its wire form, with the request
// that produced it.
func ResultToProto(req *Request, res *Result) *buildpb.Build {
	b := &buildpb.Build{Attempts: AttemptsToProto(res.Attempts)}
	if req != nil {
		b.BuildRequest = req.ToProto()
	}
	for i, o := range res.Outputs {
		name := ""
		if req != nil && i < len(req.Outputs) {
			name = baseName(req.Outputs[i])
		}
		b.Outputs = append(b.Outputs, castore.NodeToProto(name, o.Node))
		needles := make([]uint64, len(o.Needles))
		for j, n := range o.Needles {
			needles[j] = uint64(n)
		}
		b.OutputsNeedles = append(b.OutputsNeedles, &buildpb.Build_OutputNeedles{Needles: needles})
		if o.HasNAR {
			b.OutputNars = append(b.OutputNars, &buildpb.Build_OutputNAR{NarSize: o.NarSize, NarSha256: o.NarSHA256[:]})
		}
	}
	if len(b.OutputNars) != len(b.Outputs) {
		b.OutputNars = nil
	}
	return b
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// ResultFromProto converts a wire result for req and checks it against
// req: one output per requested output, named like it, needles in range.
func ResultFromProto(req *Request, b *buildpb.Build) (*Result, error) {
	if len(b.GetOutputs()) != len(req.Outputs) {
		return nil, fmt.Errorf("build result has %d outputs, the request %d", len(b.GetOutputs()), len(req.Outputs))
	}
	if n := len(b.GetOutputsNeedles()); n != 0 && n != len(req.Outputs) {
		return nil, fmt.Errorf("build result has needles for %d outputs, the request has %d", n, len(req.Outputs))
	}
	if n := len(b.GetOutputNars()); n != 0 && n != len(req.Outputs) {
		return nil, fmt.Errorf("build result has NARs of %d outputs, the request has %d", n, len(req.Outputs))
	}
	res := &Result{Attempts: AttemptsFromProto(b.GetAttempts())}
	for i, pn := range b.GetOutputs() {
		name, n, err := castore.NodeFromProto(pn)
		if err != nil {
			return nil, fmt.Errorf("build result: output %s: %w", req.Outputs[i], err)
		}
		if name != "" && name != baseName(req.Outputs[i]) {
			return nil, fmt.Errorf("build result: output %d is named %q, not %q", i, name, baseName(req.Outputs[i]))
		}
		o := Output{Node: n}
		if len(b.GetOutputsNeedles()) > 0 {
			prev := -1
			for _, x := range b.GetOutputsNeedles()[i].GetNeedles() {
				if x >= uint64(len(req.RefscanNeedles)) || int(x) <= prev {
					return nil, fmt.Errorf("build result: output %s: needle index %d out of range or out of order", req.Outputs[i], x)
				}
				prev = int(x)
				o.Needles = append(o.Needles, int(x))
			}
		}
		if nars := b.GetOutputNars(); len(nars) > 0 {
			if len(nars[i].GetNarSha256()) != len(o.NarSHA256) {
				return nil, fmt.Errorf("build result: output %s: NAR sha256 of %d bytes", req.Outputs[i], len(nars[i].GetNarSha256()))
			}
			o.HasNAR, o.NarSize = true, nars[i].GetNarSize()
			copy(o.NarSHA256[:], nars[i].GetNarSha256())
		}
		res.Outputs = append(res.Outputs, o)
	}
	return res, nil
}

// AttemptsToProto converts attempts to their wire form.
func AttemptsToProto(as []Attempt) []*buildpb.Attempt {
	var out []*buildpb.Attempt
	for _, a := range as {
		out = append(out, &buildpb.Attempt{
			ExitCode:        int32(a.ExitCode),
			Signal:          uint32(a.Signal),
			Killed:          a.Killed,
			LogTail:         a.LogTail,
			LogSize:         uint64(max(a.LogSize, 0)),
			Error:           a.Error,
			MissingOutputs:  a.MissingOutputs,
			Rejected:        a.Rejected,
			RejectedPath:    a.RejectedPath,
			UserCpuNanos:    uint64(max(a.UserCPU, 0)),
			SystemCpuNanos:  uint64(max(a.SystemCPU, 0)),
			PeakMemoryBytes: a.PeakMemory,
			WallNanos:       uint64(max(a.Wall, 0)),
			Host:            a.Host,
		})
	}
	return out
}

// AttemptsFromProto converts attempts from their wire form.
func AttemptsFromProto(ps []*buildpb.Attempt) []Attempt {
	var out []Attempt
	clamp := func(v uint64) int64 { return int64(min(v, 1<<63-1)) }
	for _, p := range ps {
		out = append(out, Attempt{
			ExitCode:       int(p.GetExitCode()),
			Signal:         syscall.Signal(min(p.GetSignal(), 1<<16)),
			Killed:         p.GetKilled(),
			LogTail:        p.GetLogTail(),
			LogSize:        clamp(p.GetLogSize()),
			Error:          p.GetError(),
			MissingOutputs: p.GetMissingOutputs(),
			Rejected:       p.GetRejected(),
			RejectedPath:   p.GetRejectedPath(),
			UserCPU:        time.Duration(clamp(p.GetUserCpuNanos())),
			SystemCPU:      time.Duration(clamp(p.GetSystemCpuNanos())),
			PeakMemory:     p.GetPeakMemoryBytes(),
			Wall:           time.Duration(clamp(p.GetWallNanos())),
			Host:           p.GetHost(),
		})
	}
	return out
}
