// Package glue gives the evaluator a Nix store: it supplies the builtins
// that create store paths — derivationStrict (and so derivation), toFile,
// path, filterSource, storePath, the fetchers — the copying of source
// paths used in strings ("${./foo}"), Nix's internal <nix/fetchurl.nix>,
// and an eval.IO in which store paths created during the evaluation can be
// read back.
//
// Paths are computed exactly as Nix 2.8 computes them (nixcompat), and
// recorded in memory the moment a builtin returns them; writing them into a
// store.Store is deferred to Flush, which stores everything recorded in a
// few batched writes, so that an evaluation that instantiates thousands of
// derivations does not pay a store transaction for each. In read-only mode
// (nix-instantiate --eval without --read-write-mode) nothing is written at
// all, as Nix does; reads of paths created during the evaluation are still
// served from memory.
//
// The evaluator knows nothing of this package (it builds for WebAssembly
// without a store): a Glue plugs itself into eval.Options with Configure.
//
//	g := glue.New(glue.Options{Store: st})
//	defer g.Close()
//	var opts eval.Options
//	g.Configure(&opts)
//	ev := eval.New(opts)
//	v, err := ev.EvalSource(ctx, "«string»", cwd, src)
//	...
//	err = g.Flush(ctx) // before reporting the paths as stored
package glue
