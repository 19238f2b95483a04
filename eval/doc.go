// Package eval is govix's evaluator for the Nix language: it evaluates Nix
// expressions to the values Nix computes, lazily, with Nix's error
// messages.
//
// Create an Evaluator with Options (its IO, an optional Store, limits),
// evaluate source or a file, and walk the resulting values, forcing them
// as needed:
//
//	ev := eval.New(eval.Options{})
//	v, err := ev.EvalSource(ctx, "«string»", cwd, []byte(`{ a = 1 + 2; }`))
//	...
//	attrs := v.(*eval.Attrs)
//	a, _ := ev.Get(attrs, "a")
//	a, err = ev.Force(ctx, a) // eval.Int(3)
//
// # How it works
//
// Source is parsed by package syntax, then compiled: every variable is
// resolved to a slot of an environment (or to a global, or to a lookup in
// the enclosing `with` sets), and the tree becomes a tree of small nodes
// whose eval method computes a value: a tree-walking interpreter over
// scope-resolved code ("closure compilation" with methods), one interface
// call per node and no operand stack. A lazy language forces thunks from
// inside builtins, so a bytecode VM would re-enter its loop from Go just
// the same; Nix itself walks a tree. Laziness is a Thunk (code and environment,
// replaced by the value when forced); constants and variables are passed
// without making a thunk, as Nix does. What keeps the evaluator fast and
// small:
//
//   - names are interned symbols; attribute sets are arrays sorted by name
//     (an 8-byte prefix key orders most names without comparing bytes),
//     searched linearly when small, by binary search or, once searched
//     often, through a hash index when large;
//   - a // b with a small b stacks b on a as a layer instead of copying a
//     (as current Nix), flattened on first iteration;
//   - environments, small sets and small lists are one allocation each;
//     functions that keep nothing of their environment (predicates,
//     comparators) reuse it; map and genList bind a plain lambda's
//     argument when they make the element's thunk, so forcing it
//     allocates nothing; f a b binds both arguments without the closure
//     in between (their two environments one allocation); a thunk is
//     allocated with what it will need and nothing else keeps — the
//     closure of a function expression, the code of a lazy application,
//     the environment of a function that captures nothing (see
//     alloc.go); a set written out as the argument of a { ... } pattern
//     is built without a thunk; nested integer arithmetic passes unboxed
//     integers;
//   - parsed and compiled files are cached by path (import of the same
//     file gives the same value), and file metadata (lstat, stat,
//     readlink, readDir) for the evaluation.
//
// Evaluation errors are *Error values with Nix's wording and a trace of
// positions. Inside the evaluator they unwind as panics, recovered where
// Nix catches them (builtins.tryEval) and at this package's API; no panic
// leaves the package. Deep recursion is bounded (Options.MaxCallDepth, as
// Nix's max-call-depth) and ends in a "stack overflow" error, never a
// crash of the Go runtime.
//
// All access to files, the environment and the clock goes through IO, so
// the package builds for js/wasm and wasip1/wasm and can evaluate in a
// sandbox (MemIO). Operations that need a Nix store — coercing a path to a
// string copies it into the store, derivations, fetchers — go through the
// Store interface and the extra builtins of Options.Builtins, which the
// glue package provides; without them they fail with a clear error.
//
// Builtins are registered per topic file; see builtins.go and BUILTINS.md
// for how to add one.
package eval
