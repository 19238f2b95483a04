// Package nixbuild builds Nix derivations with a build.Service: it turns a
// derivation into a build.Request exactly as Nix 2.8 sets up a sandboxed
// build, and the build's result back into registered store paths, the
// way Nix registers outputs.
//
// The request reproduces what Nix's LocalDerivationGoal gives a builder:
// the environment (the derivation's variables, or none of them with
// structured attributes; PATH=/path-not-set, HOME=/homeless-shelter,
// NIX_STORE, NIX_BUILD_CORES, NIX_BUILD_TOP, TMPDIR, TEMPDIR, TMP, TEMP and
// PWD set to the build directory, NIX_OUTPUT_CHECKED for fixed outputs,
// impureEnvVars for fixed outputs, NIX_LOG_FD=2, TERM=xterm-256color,
// NIX_ATTRS_JSON_FILE and NIX_ATTRS_SH_FILE), the files it writes into
// the build directory (passAsFile's .attr-<hash>, .attrs.json,
// .attrs.sh, exportReferencesGraph), output placeholders replaced by the
// output paths in the environment, the arguments and those files, the
// closure of the inputs as the only store paths present, the network for
// fixed-output derivations only, and a pseudo-terminal as the log.
//
// Registering reads the references from the needles the builder found
// (the hash parts of every input and output path), checks that outputs do
// not refer to each other in a cycle, verifies fixed outputs against their
// expected hash (a mismatch is reported as Nix does, after the path is
// registered under its actual hash), and puts each output's PathInfo,
// with the NAR hash and size, the deriver and the content address, into
// the store, referenced outputs first.
package nixbuild

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/govix/govix/build"
	"github.com/govix/govix/nixcompat/derivation"
	"github.com/govix/govix/nixcompat/nixbase32"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// Config is what Nix takes from its settings rather than from the
// derivation. The zero value is Nix 2.8's defaults on this machine.
type Config struct {
	// StoreDir is the store directory; /nix/store when empty.
	StoreDir storepath.StoreDir
	// Cores is NIX_BUILD_CORES; the number of CPUs when 0.
	Cores int
	// BuildDir is the build directory inside the sandbox (Nix's
	// sandbox-build-dir); /build when empty.
	BuildDir string
	// BinSh asks the builder for a /bin/sh (Nix's sandbox-paths with
	// /bin/sh=...).
	BinSh bool
	// SandboxPaths are other host paths visible at the same place
	// (Nix's sandbox-paths without '='), sorted or not.
	SandboxPaths []string
	// NoKVM leaves /dev/kvm out even when the host has it (Nix offers it
	// when it is usable, as the "kvm" system feature).
	NoKVM bool
	// TmpDir is where Nix would make the build directory on the host,
	// which Nix 2.8 leaks into NIX_ATTRS_JSON_FILE and NIX_ATTRS_SH_FILE;
	// $TMPDIR or /tmp when empty.
	TmpDir string
	// Getenv reads the client's environment for impureEnvVars of
	// fixed-output derivations; os.LookupEnv when nil.
	Getenv func(string) (string, bool)
	// Limits are Nix's timeout, max-silent-time and max-build-log-size.
	Limits build.Limits
}

func (c *Config) storeDir() storepath.StoreDir {
	if c.StoreDir == "" {
		return storepath.DefaultStoreDir
	}
	return c.StoreDir
}

func (c *Config) buildDir() string {
	if c.BuildDir == "" {
		return "/build"
	}
	return c.BuildDir
}

// Build is a derivation prepared for building: its request and what is
// needed to register the result.
type Build struct {
	DrvPath storepath.StorePath
	Drv     *derivation.Derivation
	// Name is the derivation's name (the .drv's name without ".drv").
	Name string
	// Outputs are the paths the outputs must have, by output name (for a
	// fixed output: the path its expected hash gives).
	Outputs map[string]storepath.StorePath
	// Request is what the builder runs.
	Request *build.Request
	// Inputs are the PathInfos of the input closure.
	Inputs []*store.PathInfo

	dir storepath.StoreDir
	typ derivation.Type
	// needlePaths[i] is the store path of Request.RefscanNeedles[i].
	needlePaths []storepath.StorePath
}

// Prepare turns the derivation at drvPath into a build request. The input
// closure — the input sources and the used outputs of the input
// derivations (read through load), with everything they refer to — must
// be in pis.
func Prepare(ctx context.Context, pis store.PathInfoService, drvPath storepath.StorePath, drv *derivation.Derivation, load derivation.Loader, cfg *Config) (*Build, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	dir := cfg.storeDir()
	b := &Build{DrvPath: drvPath, Drv: drv, dir: dir, Outputs: map[string]storepath.StorePath{}}
	name, ok := strings.CutSuffix(drvPath.Name, storepath.DrvExtension)
	if !ok {
		return nil, fmt.Errorf("'%s' is not a store derivation", dir.Print(drvPath))
	}
	b.Name = name
	typ, err := drv.Type()
	if err != nil {
		return nil, fmt.Errorf("derivation '%s': %w", dir.Print(drvPath), err)
	}
	switch typ {
	case derivation.TypeInputAddressed, derivation.TypeFixed:
	default:
		return nil, fmt.Errorf("cannot build '%s': its outputs are not input-addressed or fixed (ca-derivations and impure derivations are not supported)", dir.Print(drvPath))
	}
	b.typ = typ
	for outName, o := range drv.Outputs {
		p, err := dir.ParseCanonical(o.Path)
		if err != nil {
			return nil, fmt.Errorf("derivation '%s': output '%s': %w", dir.Print(drvPath), outName, err)
		}
		b.Outputs[outName] = p
	}

	roots, err := InputRoots(ctx, dir, drv, load)
	if err != nil {
		return nil, err
	}
	infos, err := store.Closure(ctx, pis, roots)
	if err != nil {
		return nil, fmt.Errorf("the inputs of '%s' are not all in the store: %w", dir.Print(drvPath), err)
	}
	b.Inputs = infos
	b.Request, err = b.request(cfg)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// InputRoots returns the store paths a derivation's build needs directly:
// its input sources and the outputs of its input derivations it uses
// (read through load).
func InputRoots(ctx context.Context, dir storepath.StoreDir, drv *derivation.Derivation, load derivation.Loader) ([]storepath.StorePath, error) {
	var roots []storepath.StorePath
	for _, s := range drv.InputSrcs {
		p, err := dir.ParseCanonical(s)
		if err != nil {
			return nil, err
		}
		roots = append(roots, p)
	}
	for _, drvPath := range slices.Sorted(maps.Keys(drv.InputDrvs)) {
		in, err := load(ctx, drvPath)
		if err != nil {
			return nil, err
		}
		for _, out := range drv.InputDrvs[drvPath] {
			o, ok := in.Outputs[out]
			if !ok {
				return nil, fmt.Errorf("derivation '%s' does not have an output named '%s'", drvPath, out)
			}
			p, err := dir.ParseCanonical(o.Path)
			if err != nil {
				return nil, fmt.Errorf("output '%s' of '%s': %w", out, drvPath, err)
			}
			roots = append(roots, p)
		}
	}
	return storepath.SortedSet(roots), nil
}

// request builds the Request as Nix's startBuilder, initEnv, initTmpDir
// and writeStructuredAttrs set the build up.
func (b *Build) request(cfg *Config) (*build.Request, error) {
	drv, dir := b.Drv, b.dir
	top := cfg.buildDir()
	rel := func(abs string) string { return strings.TrimPrefix(abs, "/") }
	storeRel := rel(string(dir))
	req := &build.Request{
		WorkingDir:   rel(top),
		ScratchPaths: []string{rel(top), storeRel},
		InputsDir:    storeRel,
		Constraints:  build.Constraints{System: drv.Platform, ProvideBinSh: cfg.BinSh},
		Limits:       cfg.Limits,
		Terminal:     true,
		EndWithLog:   true,
	}
	slices.Sort(req.ScratchPaths)
	if req.ScratchPaths[0] == req.ScratchPaths[1] || strings.HasPrefix(req.ScratchPaths[1], req.ScratchPaths[0]+"/") {
		return nil, fmt.Errorf("the build directory %s and the store %s overlap", top, dir)
	}

	// Placeholders become the output paths wherever Nix rewrites them.
	rewrites := map[string]string{}
	for outName, p := range b.Outputs {
		rewrites[derivation.Placeholder(outName)] = dir.Print(p)
	}
	rewrite := func(s string) string { return rewriteStrings(s, rewrites) }

	attrs, structured, err := b.structuredAttrs()
	if err != nil {
		return nil, err
	}
	env := map[string]string{
		"PATH":            "/path-not-set",
		"HOME":            "/homeless-shelter",
		"NIX_STORE":       string(dir),
		"NIX_BUILD_CORES": strconv.Itoa(cores(cfg)),
	}
	addFile := func(name string, contents []byte) {
		req.AdditionalFiles = append(req.AdditionalFiles, build.File{Path: path.Join(rel(top), name), Contents: contents})
	}
	if !structured {
		passAsFile := map[string]bool{}
		for _, f := range tokenize(drv.Env["passAsFile"]) {
			passAsFile[f] = true
		}
		for k, v := range drv.Env {
			if !passAsFile[k] {
				env[k] = v
				continue
			}
			sum := nixhash.SumString(nixhash.SHA256, k)
			fn := ".attr-" + nixbase32.EncodeToString(sum.Digest())
			addFile(fn, []byte(rewrite(v)))
			env[k+"Path"] = top + "/" + fn
		}
	}
	for _, k := range []string{"NIX_BUILD_TOP", "TMPDIR", "TEMPDIR", "TMP", "TEMP", "PWD"} {
		env[k] = top
	}
	if b.typ == derivation.TypeFixed {
		env["NIX_OUTPUT_CHECKED"] = "1"
		getenv := cfg.Getenv
		if getenv == nil {
			getenv = os.LookupEnv
		}
		vars, err := b.stringsAttr(attrs, structured, "impureEnvVars")
		if err != nil {
			return nil, err
		}
		for _, v := range vars {
			env[v], _ = getenv(v)
		}
		req.Constraints.NetworkAccess = true
	}
	env["NIX_LOG_FD"] = "2"
	env["TERM"] = "xterm-256color"

	if structured {
		outputs := jsonObject{}
		for outName := range drv.Outputs {
			outputs[outName] = rewrite(derivation.Placeholder(outName))
		}
		attrs["outputs"] = outputs
		if err := b.exportReferencesGraphJSON(attrs); err != nil {
			return nil, err
		}
		// Nix 2.8 names the files by their host path, not the one the
		// builder sees: a path that does not exist in the sandbox.
		hostTop := hostBuildDir(cfg, b.Name+storepath.DrvExtension)
		addFile(".attrs.sh", []byte(rewrite(string(attrsShell(attrs)))))
		env["NIX_ATTRS_SH_FILE"] = hostTop + "/.attrs.sh"
		addFile(".attrs.json", []byte(rewrite(string(dumpJSON(nil, attrs)))))
		env["NIX_ATTRS_JSON_FILE"] = hostTop + "/.attrs.json"
	} else if err := b.exportReferencesGraph(addFile); err != nil {
		return nil, err
	}

	for _, k := range slices.Sorted(maps.Keys(env)) {
		req.Env = append(req.Env, build.EnvVar{Key: rewrite(k), Value: rewrite(env[k])})
	}
	slices.SortStableFunc(req.Env, func(a, b build.EnvVar) int { return strings.Compare(a.Key, b.Key) })
	req.Env = slices.CompactFunc(req.Env, func(a, b build.EnvVar) bool { return a.Key == b.Key })

	req.Args = append(req.Args, drv.Builder)
	for _, a := range drv.Args {
		req.Args = append(req.Args, rewrite(a))
	}

	// The inputs, and the needles: every input's and output's hash part.
	needles := map[string]storepath.StorePath{}
	for _, info := range b.Inputs {
		req.Inputs = append(req.Inputs, build.Input{Name: info.StorePath.String(), Node: info.Node})
		needles[info.StorePath.HashPart()] = info.StorePath
	}
	slices.SortFunc(req.Inputs, func(a, b build.Input) int { return strings.Compare(a.Name, b.Name) })
	for _, outName := range slices.Sorted(maps.Keys(b.Outputs)) {
		p := b.Outputs[outName]
		req.Outputs = append(req.Outputs, path.Join(storeRel, p.String()))
		needles[p.HashPart()] = p
	}
	slices.Sort(req.Outputs)
	for _, h := range slices.Sorted(maps.Keys(needles)) {
		req.RefscanNeedles = append(req.RefscanNeedles, h)
		b.needlePaths = append(b.needlePaths, needles[h])
	}

	var ro []string
	for _, p := range cfg.SandboxPaths {
		ro = append(ro, path.Clean(p))
	}
	if !cfg.NoKVM && kvmUsable() {
		ro = append(ro, "/dev/kvm")
	}
	slices.Sort(ro)
	req.Constraints.AvailableROPaths = slices.Compact(ro)
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("building '%s': %w", dir.Print(b.DrvPath), err)
	}
	return req, nil
}

func cores(cfg *Config) int {
	if cfg.Cores > 0 {
		return cfg.Cores
	}
	return runtime.NumCPU()
}

// hostBuildDir is where Nix 2.8 would create the build directory of
// drvName: createTempDir("", "nix-build-" + name) with a fresh counter.
func hostBuildDir(cfg *Config, drvName string) string {
	tmp := cfg.TmpDir
	if tmp == "" {
		tmp = os.Getenv("TMPDIR")
	}
	if tmp == "" {
		tmp = "/tmp"
	}
	return path.Clean(tmp) + "/nix-build-" + drvName + "-0"
}

func kvmUsable() bool {
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// rewriteStrings replaces every occurrence of each key by its value, one
// key after the other in key order, as Nix's rewriteStrings does.
func rewriteStrings(s string, rewrites map[string]string) string {
	for _, from := range slices.Sorted(maps.Keys(rewrites)) {
		if to := rewrites[from]; from != to {
			s = strings.ReplaceAll(s, from, to)
		}
	}
	return s
}

// structuredAttrs parses __json, if the derivation has it.
func (b *Build) structuredAttrs() (jsonObject, bool, error) {
	js, ok := b.Drv.Env["__json"]
	if !ok {
		return nil, false, nil
	}
	v, err := parseJSON([]byte(js))
	if err != nil {
		return nil, false, fmt.Errorf("cannot process __json attribute of '%s': %v", b.DrvPath, err)
	}
	obj, ok := v.(jsonObject)
	if !ok {
		// Nix fails later, on the first lookup; an object is required.
		return nil, false, fmt.Errorf("cannot process __json attribute of '%s': not a JSON object", b.DrvPath)
	}
	return obj, true, nil
}

// stringsAttr is Nix's ParsedDerivation::getStringsAttr.
func (b *Build) stringsAttr(attrs jsonObject, structured bool, name string) ([]string, error) {
	if !structured {
		return tokenize(b.Drv.Env[name]), nil
	}
	v, ok := attrs[name]
	if !ok {
		return nil, nil
	}
	list, ok := v.([]jsonValue)
	if !ok {
		return nil, fmt.Errorf("attribute '%s' of derivation '%s' must be a list of strings", name, b.DrvPath)
	}
	var out []string
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("attribute '%s' of derivation '%s' must be a list of strings", name, b.DrvPath)
		}
		out = append(out, s)
	}
	return out, nil
}
