package eval

import (
	"context"
	"errors"
	"testing"
	"time"
)

// FuzzEval evaluates arbitrary source: whatever it is, the evaluator
// returns a value or an *Error — never a panic of its own, a hang past its
// context, or a crash of the Go runtime.
func FuzzEval(f *testing.F) {
	for _, c := range evalCases {
		f.Add(c.expr)
	}
	for _, c := range errorCases {
		f.Add(c.expr)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 4096 {
			return
		}
		ev := New(Options{IO: &MemIO{Files: map[string]string{"/a.nix": "x: x + 1"}}, MaxCallDepth: 1000})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		v, err := ev.EvalSource(ctx, "«string»", "/", []byte(src))
		if err == nil {
			err = ev.ForceDeep(ctx, v)
		}
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("%q: error of type %T: %v", src, err, err)
		}
		if e != nil && e.Kind == InternalError {
			t.Fatalf("%q: %v", src, e)
		}
	})
}
