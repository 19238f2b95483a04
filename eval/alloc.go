package eval

// The evaluator allocates its most common small objects — thunks and
// one-slot environments — from slabs: one Go allocation serves many
// objects, as Nix's evaluator uses Boehm's GC_malloc_many. This halves
// the cost of allocation (no per-object size-class lookup and heap
// bitmap writes) at the price of keeping a slab alive while any of its
// objects is.

const slabSize = 64

const slabs = false

type allocator struct {
	thunks []Thunk
	env1s  []Env
}

// newThunk returns a thunk of code in env.
func (ev *Evaluator) newThunk(env *Env, code Value) *Thunk {
	if !slabs {
		return &Thunk{env: env, v: code}
	}
	a := &ev.alloc
	if len(a.thunks) == 0 {
		a.thunks = make([]Thunk, slabSize)
	}
	t := &a.thunks[0]
	a.thunks = a.thunks[1:]
	t.env = env
	t.v = code
	return t
}

// newEnv1 returns an environment of one slot holding v.
func (ev *Evaluator) newEnv1(up *Env, v Value) *Env {
	if !slabs {
		return &Env{up: up, vals: [1]Value{v}}
	}
	a := &ev.alloc
	if len(a.env1s) == 0 {
		a.env1s = make([]Env, slabSize)
	}
	e := &a.env1s[0]
	a.env1s = a.env1s[1:]
	e.up = up
	e.vals[0] = v
	return e
}
