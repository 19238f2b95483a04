package glue

import (
	"slices"
	"strings"

	"github.com/govix/govix/eval"
	"github.com/govix/govix/nixcompat/derivation"
	"github.com/govix/govix/nixcompat/nixbase32"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
)

// drvBuilder accumulates a derivation while derivationStrict walks the
// attributes.
type drvBuilder struct {
	g       *Glue
	c       eval.Call
	name    string
	drv     *derivation.Derivation
	ctx     eval.ContextBuilder
	outputs []string // in the order given, checked unique

	structured, ignoreNulls  bool
	contentAddressed, impure bool

	outputHash, outputHashAlgo string
	hasOutputHash              bool
	hashMode                   string // "" (default), "flat" or "recursive"

	json []byte // the __json object being built
}

// derivationStrict is builtins.derivationStrict: it turns a set of
// attributes into a store derivation, records it (the .drv is written at
// Flush), and returns { drvPath; <output> = path; ... } with the string
// contexts that make later derivations depend on it. It follows Nix 2.8's
// prim_derivationStrict, with current Nix's earlier checks of the name and
// of output names.
func (g *Glue) derivationStrict(c eval.Call) eval.Value {
	attrs := c.Attrs(0)
	nameAttr := c.Get(attrs, "name")
	if nameAttr == nil {
		c.Errorf(eval.EvalError, "attribute 'name' missing")
	}
	b := &drvBuilder{
		g: g, c: c,
		drv: &derivation.Derivation{
			Outputs:   map[string]derivation.Output{},
			InputDrvs: map[string][]string{},
			// Every attribute but a few goes to the environment, and
			// the outputs too.
			Env: make(map[string]string, attrs.Len()+2),
		},
		outputs: []string{"out"},
	}
	c.WithFrame("while evaluating the derivation attribute 'name'", func() {
		b.name = forceStringNoCtx(c, nameAttr.Value, "")
	})
	if err := storepath.ValidateName(b.name); err != nil {
		c.Errorf(eval.EvalError, "invalid derivation name: %s. Please pass a different 'name'.", nameError(err))
	}
	if a := c.Get(attrs, "__structuredAttrs"); a != nil {
		b.structured = c.ForceBool(a.Value, "while evaluating the `__structuredAttrs` attribute passed to builtins.derivationStrict")
	}
	if a := c.Get(attrs, "__ignoreNulls"); a != nil {
		b.ignoreNulls = c.ForceBool(a.Value, "while evaluating the `__ignoreNulls` attribute passed to builtins.derivationStrict")
	}
	if b.structured {
		b.json = append(b.json, '{')
	}
	trace := &eval.AttrFrame{Before: "while evaluating the attribute '", After: "' of the derivation '" + b.name + "'"}
	for _, a := range attrs.All() {
		key := c.Ev.SymName(a.Name)
		if key == "__ignoreNulls" {
			continue
		}
		c.PushAttrFrame(trace, a.Name)
		b.attr(key, a.Value)
		c.PopFrame()
	}
	if b.structured {
		b.json = append(b.json, '}')
		b.drv.Env["__json"] = string(b.json)
	}
	return g.finishDerivation(b)
}

// attr processes one attribute of the derivation.
func (b *drvBuilder) attr(key string, v eval.Value) {
	c := b.c
	if b.ignoreNulls {
		if _, isNull := c.ForceValue(v).(eval.Null); isNull {
			return
		}
	}
	switch key {
	case "__contentAddressed":
		if b.contentAddressed = c.ForceBool(v, ""); b.contentAddressed {
			b.g.requireFeature(c, "ca-derivations")
		}
		return
	case "__impure":
		if b.impure = c.ForceBool(v, ""); b.impure {
			b.g.requireFeature(c, "impure-derivations")
		}
		return
	case "args":
		l := c.ForceList(v, "")
		for _, e := range l.Elems() {
			s, ctx := c.CoerceValue(e, "while evaluating an element of the argument list", true, true)
			b.ctx.Add(ctx)
			b.drv.Args = append(b.drv.Args, s)
		}
		return
	}
	if b.structured {
		if key == "__structuredAttrs" {
			return
		}
		if len(b.json) > 1 {
			b.json = append(b.json, ',')
		}
		b.json = appendJSONString28(b.json, key)
		b.json = append(b.json, ':')
		b.json = appendJSON28(c, b.json, v, &b.ctx, 0)
		switch key {
		case "builder":
			s := c.ForceString(v, "")
			b.ctx.Add(s.Context())
			b.drv.Builder = s.String()
		case "system":
			b.drv.Platform = forceStringNoCtx(c, v, "")
		case "outputHash":
			b.outputHash, b.hasOutputHash = forceStringNoCtx(c, v, ""), true
		case "outputHashAlgo":
			b.outputHashAlgo = forceStringNoCtx(c, v, "")
		case "outputHashMode":
			b.setHashMode(forceStringNoCtx(c, v, ""))
		case "outputs":
			l := c.ForceList(v, "")
			ss := make([]string, 0, l.Len())
			for _, e := range l.Elems() {
				ss = append(ss, forceStringNoCtx(c, e, ""))
			}
			b.setOutputs(ss)
		}
		return
	}
	s, ctx := c.CoerceValue(v, "", true, true)
	b.ctx.Add(ctx)
	b.drv.Env[key] = s
	switch key {
	case "builder":
		b.drv.Builder = s
	case "system":
		b.drv.Platform = s
	case "outputHash":
		b.outputHash, b.hasOutputHash = s, true
	case "outputHashAlgo":
		b.outputHashAlgo = s
	case "outputHashMode":
		b.setHashMode(s)
	case "outputs":
		b.setOutputs(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }))
	}
}

func (b *drvBuilder) setHashMode(s string) {
	switch s {
	case "recursive", "nar":
		b.hashMode = "recursive"
	case "flat":
		b.hashMode = "flat"
	default:
		b.c.Errorf(eval.EvalError, "invalid value '%s' for 'outputHashMode' attribute", s)
	}
}

func (b *drvBuilder) setOutputs(ss []string) {
	b.outputs = b.outputs[:0]
	for _, o := range ss {
		if slices.Contains(b.outputs, o) {
			b.c.Errorf(eval.EvalError, "duplicate derivation output '%s'", o)
		}
		// The result set has a drvPath attribute, and Nix 2.8 also
		// keeps "drv" free.
		if o == "drvPath" || o == "drv" {
			b.c.Errorf(eval.EvalError, "invalid derivation output name '%s'", o)
		}
		b.outputs = append(b.outputs, o)
	}
	if len(b.outputs) == 0 {
		b.c.Errorf(eval.EvalError, "derivation cannot have an empty set of outputs")
	}
}

// finishDerivation turns the context into inputs, computes the output
// paths and the derivation's path, and records it.
func (g *Glue) finishDerivation(b *drvBuilder) eval.Value {
	c := b.c
	ctx := c.Context()
	d := b.drv
	for _, e := range b.ctx.Context().Elems() {
		switch {
		case strings.HasPrefix(e, "="):
			// The derivation's whole closure, and every output of
			// each derivation in it.
			drvPath := e[1:]
			refs, err := g.closure(ctx, drvPath)
			if err != nil {
				c.Errorf(eval.EvalError, "%v", err)
			}
			for _, r := range refs {
				d.InputSrcs = append(d.InputSrcs, r)
				if strings.HasSuffix(r, storepath.DrvExtension) {
					outs, err := g.derivationOutputs(ctx, r)
					if err != nil {
						c.Errorf(eval.EvalError, "%v", err)
					}
					d.InputDrvs[r] = mergeSorted(d.InputDrvs[r], outs)
				}
			}
		case strings.HasPrefix(e, "!"):
			out, drvPath, ok := strings.Cut(e[1:], "!")
			if !ok {
				c.Errorf(eval.EvalError, "invalid string context element '%s'", e)
			}
			d.InputDrvs[drvPath] = mergeSorted(d.InputDrvs[drvPath], []string{out})
		default:
			if !g.inStore(e) || strings.IndexByte(e[len(g.dir)+1:], '/') >= 0 {
				c.Errorf(eval.EvalError, "path '%s' is not a store path", e)
			}
			d.InputSrcs = append(d.InputSrcs, e)
		}
	}
	d.InputSrcs = sortedSet(d.InputSrcs)

	if d.Builder == "" {
		c.Errorf(eval.EvalError, "required attribute 'builder' missing")
	}
	if d.Platform == "" {
		c.Errorf(eval.EvalError, "required attribute 'system' missing")
	}
	if strings.HasSuffix(b.name, storepath.DrvExtension) {
		c.Errorf(eval.EvalError, "derivation names are not allowed to end in '%s'", storepath.DrvExtension)
	}

	switch {
	case b.hasOutputHash:
		// A fixed-output derivation; __contentAddressed is ignored.
		if len(b.outputs) != 1 || b.outputs[0] != "out" {
			c.Errorf(eval.EvalError, "multiple outputs are not supported in fixed-output derivations")
		}
		algo, _ := nixhash.ParseAlgorithm(b.outputHashAlgo)
		h := g.hashAllowEmpty(c, b.outputHash, algo)
		method := storepath.Flat
		if b.hashMode == "recursive" {
			method = storepath.Recursive
		}
		d.Outputs["out"] = derivation.Output{HashAlgo: method.Prefix() + h.Algorithm().String(), Hash: h.Base16()}
	case b.contentAddressed || b.impure:
		if b.contentAddressed && b.impure {
			c.Errorf(eval.EvalError, "derivation cannot be both content-addressed and impure")
		}
		algo, err := nixhash.ParseAlgorithm(b.outputHashAlgo)
		if err != nil {
			algo = nixhash.SHA256
		}
		method := storepath.Recursive
		if b.hashMode == "flat" {
			method = storepath.Flat
		}
		hash := ""
		if b.impure {
			hash = "impure"
		}
		for _, o := range b.outputs {
			d.Outputs[o] = derivation.Output{HashAlgo: method.Prefix() + algo.String(), Hash: hash}
		}
	default:
		for _, o := range b.outputs {
			d.Outputs[o] = derivation.Output{}
		}
	}
	if err := g.hasher.FillOutputs(ctx, d, b.name); err != nil {
		c.Errorf(eval.EvalError, "%v", err)
	}

	// The store derivation: a text path of its ATerm, referring to its
	// input sources and derivations.
	// In read-only mode nothing reads the .drv back (Nix would not find
	// it either): its ATerm is only hashed, in a buffer kept for the
	// next derivation.
	aterm := d.AppendATerm(g.aterm[:0])
	g.aterm = aterm[:0]
	keep := !g.opts.ReadOnly
	if keep {
		aterm = slices.Clone(aterm)
	}
	e, err := g.addText(b.name+storepath.DrvExtension, aterm, d.References(), keep)
	if err != nil {
		c.Errorf(eval.EvalError, "%v", err)
	}
	drvPath := e.printed
	if e.drvOutputs == nil {
		e.drvOutputs = d.OutputNames()
		e.drvOutPaths = make([]string, len(e.drvOutputs))
		for i, o := range e.drvOutputs {
			e.drvOutPaths[i] = d.Outputs[o].Path
		}
		// Later derivations that depend on this one need its hash
		// modulo; remember it rather than reading the .drv back.
		if err := g.hasher.Remember(ctx, drvPath, d); err != nil {
			c.Errorf(eval.EvalError, "%v", err)
		}
	}

	res := c.NewAttrs(1 + len(d.Outputs))
	res.Set("drvPath", eval.NewString(drvPath, eval.NewContext("="+drvPath)))
	for _, o := range e.drvOutputs {
		p := d.Outputs[o].Path
		if p == "" {
			p = downstreamPlaceholder(e.path, o)
		}
		res.Set(o, eval.NewString(p, eval.NewContext("!"+o+"!"+drvPath)))
	}
	return res.Attrs()
}

// hashAllowEmpty parses an expected hash as Nix's newHashAllowEmpty: an
// empty string is the all-zero hash of the given algorithm (with a
// warning), anything else is a hash in any of Nix's notations.
func (g *Glue) hashAllowEmpty(c eval.Call, s string, algo nixhash.Algorithm) nixhash.Hash {
	if s == "" {
		if algo == 0 {
			c.Errorf(eval.EvalError, "empty hash requires explicit hash type")
		}
		h := nixhash.Zero(algo)
		g.warnf("found empty hash, assuming '%s'", h.SRI())
		return h
	}
	h, err := nixhash.ParseAny(s, algo)
	if err != nil {
		c.Errorf(eval.EvalError, "%v", err)
	}
	return h
}

// downstreamPlaceholder is the string that stands for an output whose path
// is not known before building (Nix's downstreamPlaceholder).
func downstreamPlaceholder(drvPath storepath.StorePath, output string) string {
	drvName := strings.TrimSuffix(drvPath.Name, storepath.DrvExtension)
	clear := "nix-upstream-output:" + drvPath.HashPart() + ":" + storepath.OutputPathName(drvName, output)
	h := nixhash.SumString(nixhash.SHA256, clear)
	return "/" + nixbase32.EncodeToString(h.Digest())
}

// mergeSorted returns the sorted union of a sorted slice and more.
func mergeSorted(a, more []string) []string {
	for _, s := range more {
		i, found := slices.BinarySearch(a, s)
		if !found {
			a = slices.Insert(a, i, s)
		}
	}
	return a
}

// requireFeature raises Nix's error for a disabled experimental feature.
func (g *Glue) requireFeature(c eval.Call, f string) {
	if !g.features[f] {
		c.Errorf(eval.EvalError, "experimental Nix feature '%s' is disabled; use '--extra-experimental-features %s' to override", f, f)
	}
}

// forceStringNoCtx forces v to a string that must not have a context.
func forceStringNoCtx(c eval.Call, v eval.Value, what string) string {
	s := c.ForceString(v, what)
	if s.HasContext() {
		c.Errorf(eval.EvalError, "the string '%s' is not allowed to refer to a store path (such as '%s')",
			s.String(), showContextElem(s.Context().Elems()[0]))
	}
	return s.String()
}

// showContextElem shows a context element as Nix's error messages do.
func showContextElem(e string) string {
	switch {
	case strings.HasPrefix(e, "="):
		return e[1:]
	case strings.HasPrefix(e, "!"):
		if out, drv, ok := strings.Cut(e[1:], "!"); ok {
			return drv + "^" + out
		}
	}
	return e
}

// nameError is the message of a store path name validation error, without
// the package's prefix.
func nameError(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}
