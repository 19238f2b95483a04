// Package graph builds a graph of Nix derivations: in dependency order, as
// many at a time as allowed, skipping outputs the store has, substituting
// from binary caches first, keeping each build's log, and reporting
// progress as events. It is what `govix build` and import-from-derivation
// run.
//
// Like Nix's worker, it first decides what must be built: a derivation
// whose wanted outputs are all valid is done; one whose missing outputs
// can all be substituted (with their closures) is done after copying
// them; any other is built, after the derivations whose outputs it uses.
// A failed build fails every derivation that depends on it (they are
// reported as skipped); without KeepGoing the first failure also cancels
// the builds running and starts no more, as Nix does without
// --keep-going.
package graph

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/govix/govix/build"
	"github.com/govix/govix/build/nixbuild"
	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/derivation"
	"github.com/govix/govix/nixcompat/narinfo"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// Options configure a Builder.
type Options struct {
	// Store holds the derivations and their inputs, and receives the
	// outputs.
	Store *store.Store
	// Service runs the builds.
	Service build.Service
	// Config is how derivations become requests (cores, /bin/sh, ...).
	Config nixbuild.Config
	// Jobs is how many builds run at once; 2 per CPU when 0 (a small
	// build spends much of its time waiting for runc to set the
	// container up and tear it down).
	Jobs int
	// KeepGoing goes on building what does not depend on a failure.
	KeepGoing bool
	// Substituters are tried in order for missing outputs before they
	// are built. Paths must be signed by one of TrustedKeys unless they
	// are content-addressed.
	Substituters []*store.Store
	TrustedKeys  []narinfo.PublicKey
	// Logs keeps each build's log; nil keeps none.
	Logs *Logs
	// Events, if set, is called for everything that happens, from
	// several goroutines, one call at a time.
	Events func(Event)
	// Load reads store derivations; from Store when nil.
	Load derivation.Loader
	// HTTPClient downloads for builtin:fetchurl; http.DefaultClient when
	// nil.
	HTTPClient *http.Client
}

// EventKind says what an Event reports.
type EventKind int

const (
	// Planned: the derivations to build are known (Drvs).
	Planned EventKind = iota
	// Substituted: Path was copied from a substituter.
	Substituted
	// Started: the build of Drv started.
	Started
	// LogLine: Drv's builder wrote Line.
	LogLine
	// Built: Drv was built (Attempt says at what cost).
	Built
	// Failed: Drv's build failed with Err.
	Failed
	// Skipped: Drv was not built because Cause failed.
	Skipped
)

// Event is one thing that happened during Build.
type Event struct {
	Kind    EventKind
	Drv     storepath.StorePath
	Path    storepath.StorePath   // Substituted
	Line    string                // LogLine
	Err     error                 // Failed
	Cause   storepath.StorePath   // Skipped
	Attempt *build.Attempt        // Built, Failed (when the builder ran)
	Check   bool                  // Started: a rebuild that checks the outputs
	Drvs    []storepath.StorePath // Planned: the derivations to build
}

// Target is a derivation to realise, with the outputs wanted (all when
// Outputs is empty).
type Target struct {
	Drv     storepath.StorePath
	Outputs []string
}

// Report is what Build did.
type Report struct {
	// Built are the derivations built, in the order they finished.
	Built []storepath.StorePath
	// Substituted are the paths copied from substituters.
	Substituted []storepath.StorePath
	// Failures are the builds that failed, with the dependents they
	// kept from being built.
	Failures []*Failure
	// Skipped are the derivations not built because a dependency failed,
	// with how many of their direct dependencies failed (or were
	// skipped), dependencies before their dependents.
	Skipped []Skip
	// Checks are the results of rebuilding with Check.
	Checks []*CheckResult
	// Attempts are the resources each build used, by derivation.
	Attempts map[storepath.StorePath][]build.Attempt
}

// Skip is a derivation not built because some of its dependencies
// failed.
type Skip struct {
	Drv          storepath.StorePath
	FailedInputs int
}

// Failure is a derivation that could not be built.
type Failure struct {
	Drv storepath.StorePath
	// Err is a *BuilderError (the builder failed; its last attempt has
	// the exit status and log tail), a *nixbuild.HashMismatchError, or
	// what else went wrong.
	Err error
	// Skipped are the derivations that depended on Drv and were not built.
	Skipped []storepath.StorePath
}

// BuilderError is a derivation whose builder failed.
type BuilderError struct {
	DrvPath string
	Failed  *build.FailedError
	// Limits are those the build ran with, for the messages.
	Limits build.Limits
	// Outputs name the derivation's outputs by path, for the messages.
	Outputs map[string]string
}

// Error words the failure as Nix 2.8 does.
func (e *BuilderError) Error() string {
	last := e.Failed.Last()
	switch {
	case last.Killed == "timeout" && e.Limits.Timeout > 0:
		return fmt.Sprintf("building of '%s!out' from .drv file timed out after %d seconds", e.DrvPath, int(e.Limits.Timeout.Seconds()))
	case last.Killed == "silence" && e.Limits.MaxSilence > 0:
		return fmt.Sprintf("building of '%s!out' from .drv file timed out after %d seconds of silence", e.DrvPath, int(e.Limits.MaxSilence.Seconds()))
	case last.Error != "":
	case last.Rejected == build.RejectWritable:
		// Nix names its chroot's copy of the output; the path in the
		// sandbox is more use here.
		return fmt.Sprintf("suspicious ownership or permission on '%s' for output '%s'; rejecting this build output", last.RejectedPath, e.Outputs[last.RejectedPath])
	case last.Rejected == build.RejectUnsupportedType:
		return fmt.Sprintf("file '%s' has an unsupported type", last.RejectedPath)
	case len(last.MissingOutputs) > 0:
		p := last.MissingOutputs[0]
		return fmt.Sprintf("builder for '%s' failed to produce output path for output '%s' at '%s'", e.DrvPath, e.Outputs[p], p)
	}
	return fmt.Sprintf("builder for '%s' %s", e.DrvPath, last.Status())
}

func (e *BuilderError) Unwrap() error { return e.Failed }

// ErrFailed is returned by Build when a build failed; the Report says
// which.
var ErrFailed = errors.New("build failed")

// Builder builds derivation graphs. It is safe for concurrent use.
type Builder struct {
	opts Options

	mu   sync.Mutex
	drvs map[string]*derivation.Derivation
}

// New returns a Builder.
func New(opts Options) *Builder {
	if opts.Jobs <= 0 {
		opts.Jobs = 2 * runtime.NumCPU()
	}
	return &Builder{opts: opts, drvs: map[string]*derivation.Derivation{}}
}

func (b *Builder) dir() storepath.StoreDir {
	if b.opts.Config.StoreDir == "" {
		return storepath.DefaultStoreDir
	}
	return b.opts.Config.StoreDir
}

// load reads a store derivation, once.
func (b *Builder) load(ctx context.Context, drvPath string) (*derivation.Derivation, error) {
	b.mu.Lock()
	d, ok := b.drvs[drvPath]
	b.mu.Unlock()
	if ok {
		return d, nil
	}
	var err error
	if b.opts.Load != nil {
		d, err = b.opts.Load(ctx, drvPath)
	} else {
		d, err = ReadDerivation(ctx, b.opts.Store, b.dir(), drvPath)
	}
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.drvs[drvPath] = d
	b.mu.Unlock()
	return d, nil
}

// ReadDerivation reads and parses the store derivation at drvPath from st.
func ReadDerivation(ctx context.Context, st *store.Store, dir storepath.StoreDir, drvPath string) (*derivation.Derivation, error) {
	p, err := dir.ParseCanonical(drvPath)
	if err != nil {
		return nil, err
	}
	if !p.IsDerivation() {
		return nil, fmt.Errorf("'%s' is not a store derivation", drvPath)
	}
	info, err := st.PathInfo.Get(ctx, p.Digest)
	if err == nil && info.StorePath != p {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read derivation '%s': %w", drvPath, err)
	}
	if info.Node.Kind != castore.KindFile || info.Node.Size > derivation.MaxSize {
		return nil, fmt.Errorf("derivation '%s' is not a regular file of a sensible size", drvPath)
	}
	r, err := st.Blobs.Open(ctx, info.Node.Digest)
	if err != nil {
		return nil, fmt.Errorf("cannot read derivation '%s': %w", drvPath, err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, int64(info.Node.Size)))
	if err != nil {
		return nil, fmt.Errorf("cannot read derivation '%s': %w", drvPath, err)
	}
	d, err := derivation.ParseIn(dir, data)
	if err != nil {
		return nil, fmt.Errorf("derivation '%s': %w", drvPath, err)
	}
	return d, nil
}

// node is a derivation to build.
type node struct {
	drvPath    storepath.StorePath
	drv        *derivation.Derivation
	check      bool
	deps       []*node
	dependents []*node
	waiting    int // dependencies not built yet
	failed     bool
	skipped    bool // failed because a dependency did
}

// planner decides what to build.
type planner struct {
	b      *Builder
	report *Report
	// checked records the outputs known valid (or substituted) per
	// derivation; nodes the derivations to build.
	checked map[storepath.StorePath]map[string]bool
	nodes   map[storepath.StorePath]*node
	order   []*node
}

// Build realises the targets; see the package documentation. With check,
// the targets (not their dependencies) are built again even though their
// outputs are valid, and the new outputs compared with the stored ones
// (Report.Checks) instead of being registered.
func (b *Builder) Build(ctx context.Context, targets []Target, check bool) (*Report, error) {
	report := &Report{Attempts: map[storepath.StorePath][]build.Attempt{}}
	p := &planner{b: b, report: report, checked: map[storepath.StorePath]map[string]bool{}, nodes: map[storepath.StorePath]*node{}}
	for _, t := range targets {
		if check {
			if _, err := p.checkNode(ctx, t); err != nil {
				return report, err
			}
			continue
		}
		if _, err := p.need(ctx, t.Drv, t.Outputs); err != nil {
			return report, err
		}
	}
	var planned []storepath.StorePath
	for _, n := range p.order {
		planned = append(planned, n.drvPath)
	}
	b.emit(Event{Kind: Planned, Drvs: planned})
	b.run(ctx, p.order, report)
	for _, n := range p.order {
		if !n.skipped {
			continue
		}
		s := Skip{Drv: n.drvPath}
		for _, d := range n.deps {
			if d.failed {
				s.FailedInputs++
			}
		}
		report.Skipped = append(report.Skipped, s)
	}
	if len(report.Failures) > 0 {
		return report, ErrFailed
	}
	return report, ctx.Err()
}

func (b *Builder) emit(e Event) {
	if b.opts.Events != nil {
		b.opts.Events(e)
	}
}

// valid reports whether the store has p.
func (b *Builder) valid(ctx context.Context, p storepath.StorePath) (bool, error) {
	info, err := b.opts.Store.PathInfo.Get(ctx, p.Digest)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return info.StorePath == p, nil
}

// substitute copies p with its closure from the first substituter that
// has it.
func (b *Builder) substitute(ctx context.Context, p storepath.StorePath) (bool, error) {
	for _, sub := range b.opts.Substituters {
		info, err := sub.PathInfo.Get(ctx, p.Digest)
		if err != nil || info.StorePath != p {
			continue
		}
		var copied []storepath.StorePath
		var mu sync.Mutex
		err = store.CopyPaths(ctx, sub, b.opts.Store, []storepath.StorePath{p}, &store.CopyOptions{
			TrustedKeys: b.opts.TrustedKeys,
			Progress: func(info *store.PathInfo, skipped bool) {
				if !skipped {
					mu.Lock()
					copied = append(copied, info.StorePath)
					mu.Unlock()
				}
			},
		})
		if err != nil {
			// Nix goes on to the next substituter, then builds.
			continue
		}
		for _, c := range copied {
			b.emit(Event{Kind: Substituted, Path: c})
		}
		return true, nil
	}
	return false, nil
}

// ensure makes p valid, substituting it if needed.
func (b *Builder) ensure(ctx context.Context, p storepath.StorePath, allowSubstitutes bool, report *Report) (bool, error) {
	ok, err := b.valid(ctx, p)
	if err != nil || ok {
		return ok, err
	}
	if !allowSubstitutes {
		return false, nil
	}
	ok, err = b.substitute(ctx, p)
	if ok {
		report.Substituted = append(report.Substituted, p)
	}
	return ok, err
}

// need makes the outputs of drvPath valid or plans to build it, and
// returns its node (nil when nothing needs building).
func (p *planner) need(ctx context.Context, drvPath storepath.StorePath, outputs []string) (*node, error) {
	dir := p.b.dir()
	if n, ok := p.nodes[drvPath]; ok {
		return n, nil
	}
	drv, err := p.b.load(ctx, dir.Print(drvPath))
	if err != nil {
		return nil, err
	}
	if len(outputs) == 0 {
		outputs = drv.OutputNames()
	}
	checked := p.checked[drvPath]
	if checked == nil {
		checked = map[string]bool{}
		p.checked[drvPath] = checked
	}
	missing := false
	subst := substitutesAllowed(drv)
	for _, out := range outputs {
		if checked[out] {
			continue
		}
		o, ok := drv.Outputs[out]
		if !ok {
			return nil, fmt.Errorf("derivation '%s' does not have an output named '%s'", dir.Print(drvPath), out)
		}
		op, err := dir.ParseCanonical(o.Path)
		if err != nil {
			return nil, fmt.Errorf("derivation '%s': output '%s': %w", dir.Print(drvPath), out, err)
		}
		ok, err = p.b.ensure(ctx, op, subst, p.report)
		if err != nil {
			return nil, err
		}
		if !ok {
			missing = true
			break
		}
		checked[out] = true
	}
	if !missing {
		return nil, nil
	}
	return p.plan(ctx, drvPath, drv, false)
}

// plan adds drvPath as a node to build, after what it depends on.
func (p *planner) plan(ctx context.Context, drvPath storepath.StorePath, drv *derivation.Derivation, check bool) (*node, error) {
	dir := p.b.dir()
	n := &node{drvPath: drvPath, drv: drv, check: check}
	p.nodes[drvPath] = n
	for _, in := range slices.Sorted(maps.Keys(drv.InputDrvs)) {
		ip, err := dir.ParseCanonical(in)
		if err != nil {
			return nil, err
		}
		dep, err := p.need(ctx, ip, drv.InputDrvs[in])
		if err != nil {
			return nil, err
		}
		if dep != nil {
			dep.dependents = append(dep.dependents, n)
			n.deps = append(n.deps, dep)
			n.waiting++
		}
	}
	for _, src := range drv.InputSrcs {
		sp, err := dir.ParseCanonical(src)
		if err != nil {
			return nil, err
		}
		ok, err := p.b.ensure(ctx, sp, true, p.report)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("cannot build '%s': its input '%s' is not in the store and no substituter has it", dir.Print(drvPath), src)
		}
	}
	p.order = append(p.order, n)
	return n, nil
}

// checkNode plans a rebuild of a target whose outputs must all be valid.
func (p *planner) checkNode(ctx context.Context, t Target) (*node, error) {
	dir := p.b.dir()
	if n, ok := p.nodes[t.Drv]; ok {
		return n, nil
	}
	drv, err := p.b.load(ctx, dir.Print(t.Drv))
	if err != nil {
		return nil, err
	}
	for _, out := range drv.OutputNames() {
		op, err := dir.ParseCanonical(drv.Outputs[out].Path)
		if err != nil {
			return nil, err
		}
		ok, err := p.b.valid(ctx, op)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("some outputs of '%s' are not valid, so checking is not possible", dir.Print(t.Drv))
		}
	}
	return p.plan(ctx, t.Drv, drv, true)
}

// substitutesAllowed reads the derivation's allowSubstitutes (default
// true), as Nix's ParsedDerivation does.
func substitutesAllowed(drv *derivation.Derivation) bool {
	if js, ok := drv.Env["__json"]; ok {
		return !strings.Contains(js, `"allowSubstitutes":false`)
	}
	v, ok := drv.Env["allowSubstitutes"]
	return !ok || v == "1"
}

// run builds the planned nodes, each once its dependencies are built.
func (b *Builder) run(ctx context.Context, nodes []*node, report *Report) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var ready []*node
	for _, n := range nodes {
		if n.waiting == 0 {
			ready = append(ready, n)
		}
	}
	type done struct {
		n        *node
		err      error
		attempts []build.Attempt
		check    *CheckResult
	}
	results := make(chan done)
	running := 0
	stop := false
	for {
		for !stop && running < b.opts.Jobs && len(ready) > 0 {
			n := ready[0]
			ready = ready[1:]
			running++
			go func() {
				attempts, check, err := b.buildOne(ctx, n)
				results <- done{n, err, attempts, check}
			}()
		}
		if running == 0 {
			break
		}
		d := <-results
		running--
		if len(d.attempts) > 0 {
			report.Attempts[d.n.drvPath] = d.attempts
		}
		if d.check != nil {
			report.Checks = append(report.Checks, d.check)
		}
		if d.err != nil {
			if errors.Is(d.err, context.Canceled) && stop {
				continue // canceled because another build failed
			}
			f := &Failure{Drv: d.n.drvPath, Err: d.err}
			var last *build.Attempt
			if fe := (*build.FailedError)(nil); errors.As(d.err, &fe) {
				last = fe.Last()
			}
			b.emit(Event{Kind: Failed, Drv: d.n.drvPath, Err: d.err, Attempt: last})
			f.Skipped = b.skipDependents(d.n)
			report.Failures = append(report.Failures, f)
			if !b.opts.KeepGoing {
				stop = true
				cancel()
			}
			continue
		}
		report.Built = append(report.Built, d.n.drvPath)
		for _, dep := range d.n.dependents {
			if dep.waiting--; dep.waiting == 0 && !dep.failed {
				ready = append(ready, dep)
			}
		}
	}
}

// skipDependents marks everything that depends on n as failed and returns
// those derivations.
func (b *Builder) skipDependents(n *node) []storepath.StorePath {
	var skipped []storepath.StorePath
	var walk func(n *node)
	walk = func(m *node) {
		for _, d := range m.dependents {
			if d.failed {
				continue
			}
			d.failed, d.skipped = true, true
			skipped = append(skipped, d.drvPath)
			b.emit(Event{Kind: Skipped, Drv: d.drvPath, Cause: n.drvPath})
			walk(d)
		}
	}
	n.failed = true
	walk(n)
	slices.SortFunc(skipped, func(x, y storepath.StorePath) int { return x.Compare(y) })
	return skipped
}

// buildOne prepares, runs and registers one derivation.
func (b *Builder) buildOne(ctx context.Context, n *node) ([]build.Attempt, *CheckResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	st := b.opts.Store
	bld, err := nixbuild.Prepare(ctx, st.PathInfo, n.drvPath, n.drv, b.load, &b.opts.Config)
	if err != nil {
		return nil, nil, err
	}
	b.emit(Event{Kind: Started, Drv: n.drvPath, Check: n.check})
	sink := &logSink{}
	if b.opts.Events != nil {
		sink.lines = &lineWriter{emit: func(line string) {
			b.emit(Event{Kind: LogLine, Drv: n.drvPath, Line: line})
		}}
	}
	if b.opts.Logs != nil {
		f, err := b.opts.Logs.Create(n.drvPath)
		if err != nil {
			return nil, nil, err
		}
		sink.file, sink.buf = f, bufio.NewWriterSize(f, 4096)
	}
	var res *build.Result
	if bld.IsFetchURL() {
		// Nix runs its built-in fetcher in the builder process.
		res, err = bld.FetchURL(ctx, st, b.opts.HTTPClient, sink)
	} else {
		res, err = b.opts.Service.Build(ctx, bld.Request, sink)
	}
	if cerr := sink.close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		var fe *build.FailedError
		if errors.As(err, &fe) {
			outputs := map[string]string{}
			for name, p := range bld.Outputs {
				outputs[b.dir().Print(p)] = name
			}
			return fe.Attempts, nil, &BuilderError{DrvPath: b.dir().Print(n.drvPath), Failed: fe, Limits: bld.Request.Limits, Outputs: outputs}
		}
		return nil, nil, err
	}
	var last *build.Attempt
	if len(res.Attempts) > 0 {
		last = &res.Attempts[len(res.Attempts)-1]
	}
	if n.check {
		cr, err := b.compare(ctx, bld, res)
		if err != nil {
			return res.Attempts, nil, err
		}
		b.emit(Event{Kind: Built, Drv: n.drvPath, Attempt: last})
		return res.Attempts, cr, nil
	}
	if _, err := bld.Register(ctx, st, res); err != nil {
		return res.Attempts, nil, err
	}
	b.emit(Event{Kind: Built, Drv: n.drvPath, Attempt: last})
	return res.Attempts, nil, nil
}
