package eval

import "github.com/govix/govix/eval/syntax"

// forceDeep evaluates v and everything inside it (deepSeq, --strict).
// Sets and lists already visited are skipped, so cyclic values end.
func (ev *Evaluator) forceDeep(v Value) {
	ev.forceDeepRec(v, map[any]struct{}{})
}

func (ev *Evaluator) forceDeepRec(v Value, seen map[any]struct{}) {
	pos := determinePos(v, syntax.NoPos)
	ev.enterDeep(pos)
	v = ev.forceAt(v, pos)
	switch x := v.(type) {
	case *Attrs:
		if _, ok := seen[x]; ok || x.Len() == 0 {
			break
		}
		seen[x] = struct{}{}
		for _, a := range x.all() {
			if t, ok := a.Value.(*Thunk); ok && t.env == nil {
				if _, deep := t.v.(*Attrs); !deep {
					if _, deep := t.v.(*List); !deep {
						continue
					}
				}
			}
			ev.pushFrame(frame{kind: frameAttr, pos: a.Pos, n: int(a.Name)})
			ev.forceDeepRec(a.Value, seen)
			ev.popFrame()
		}
	case *List:
		if _, ok := seen[x]; ok || len(x.elems) == 0 {
			break
		}
		seen[x] = struct{}{}
		for i, e := range x.elems {
			ev.pushFrame(frame{kind: frameListIndex, n: i})
			ev.forceDeepRec(e, seen)
			ev.popFrame()
		}
	}
	ev.leaveDeep()
}
