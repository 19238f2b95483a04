package eval

// A function whose body only computes strictly — no thunks, closures or
// environments are made from its environment — leaves nothing that
// refers to the environment once it returns. Such "non-capturing"
// functions (predicates and comparators such as x: x > 1, a: b: a < b)
// get their argument environment from a free list and give it back, so a
// call allocates nothing.

// captures reports whether evaluating n may keep a reference to its
// environment (conservatively: true for anything not known).
func captures(n node) bool {
	switch n := n.(type) {
	case *constNode, *localVar, *upVar, *withVar, *curPosNode:
		return false
	case *ifNode:
		return captures(n.cond) || captures(n.then) || captures(n.els_)
	case *assertNode:
		return captures(n.cond) || captures(n.body)
	case *notNode:
		return captures(n.x)
	case *negNode:
		return captures(n.x)
	case *logicNode:
		return captures(n.a) || captures(n.b)
	case *eqNode:
		return captures(n.a) || captures(n.b)
	case *arithNode:
		return captures(n.a) || captures(n.b)
	case *addNode:
		return captures(n.a) || captures(n.b)
	case *concatNode:
		return captures(n.a) || captures(n.b)
	case *updateNode:
		return captures(n.a) || captures(n.b)
	case *interpNode:
		return anyCaptures(n.parts)
	case *pathInterpNode:
		return anyCaptures(n.parts)
	case *select1Node:
		return captures(n.x)
	case *selectNode:
		if captures(n.x) || (n.def != nil && captures(n.def)) {
			return true
		}
		for _, p := range n.path {
			if p.dyn != nil && captures(p.dyn) {
				return true
			}
		}
		return false
	case *hasAttrNode:
		if captures(n.x) {
			return true
		}
		for _, p := range n.path {
			if p.dyn != nil && captures(p.dyn) {
				return true
			}
		}
		return false
	case *callNode:
		if captures(n.fn) {
			return true
		}
		// Arguments are passed lazily: only constants and variables are
		// passed without a thunk over the environment.
		for _, a := range n.args {
			switch a.(type) {
			case *constNode, *localVar, *upVar:
			default:
				return true
			}
		}
		return false
	}
	return true
}

func anyCaptures(ns []node) bool {
	for _, n := range ns {
		if captures(n) {
			return true
		}
	}
	return false
}

// takeEnv1 returns a one-slot environment from the free list.
func (ev *Evaluator) takeEnv1(up *Env, v Value) *Env {
	if k := len(ev.freeEnv1); k > 0 {
		e := ev.freeEnv1[k-1]
		ev.freeEnv1 = ev.freeEnv1[:k-1]
		e.up = up
		e.vals[0] = v
		return e
	}
	return &Env{up: up, vals: [1]Value{v}}
}

// releaseEnv1 gives back an environment nothing refers to any more.
func (ev *Evaluator) releaseEnv1(e *Env) {
	e.up = nil
	e.vals[0] = nil
	if len(ev.freeEnv1) < 1024 {
		ev.freeEnv1 = append(ev.freeEnv1, e)
	}
}
