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
