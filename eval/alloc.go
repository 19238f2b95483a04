package eval

// newThunk returns a thunk of code in env. (Allocating thunks from slabs,
// as Nix does with Boehm's GC_malloc_many, was tried: it halves the cost
// of allocation, but a slab stays alive while any of its thunks does, and
// with it everything its dead thunks refer to — twice the live heap on a
// large package set.)
func (ev *Evaluator) newThunk(env *Env, code Value) *Thunk {
	return &Thunk{env: env, v: code}
}

// newEnv1 returns an environment of one slot holding v.
func (ev *Evaluator) newEnv1(up *Env, v Value) *Env {
	return &Env{up: up, vals: [1]Value{v}}
}

// envPair is the two one-slot environments of a curried call x: y: body
// applied to both arguments: the outer one is referred to only by the
// inner one, so they live and die together and can share an allocation.
type envPair struct {
	outer, inner Env
}

// newEnv1Pair returns an environment holding a under up and one holding
// b under it, in one allocation.
func (ev *Evaluator) newEnv1Pair(up *Env, a, b Value) *Env {
	p := &envPair{outer: Env{up: up, vals: [1]Value{a}}}
	p.inner = Env{up: &p.outer, vals: [1]Value{b}}
	return &p.inner
}
