package serde

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/govix/govix/eval"
)

// FuzzUnmarshal decodes arbitrary source into a struct of every kind of
// field: the result is a value or an *Error, never a panic.
func FuzzUnmarshal(f *testing.F) {
	f.Add(configSource)
	f.Add(`{ name = 1; routes.a = [ ]; pair = [ 1 2 3 ]; small = -1; }`)
	f.Add(`{ extra = x: x; hosts = [ null ]; listen = 1; timeout = "x"; }`)
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 4096 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var c Config
		err := Unmarshal([]byte(src), &c, WithContext(ctx), WithBaseDir("/"),
			WithEvalOptions(eval.Options{IO: &eval.MemIO{}, MaxCallDepth: 1000}), DisallowUnknownAttrs())
		var se *Error
		if err != nil && !errors.As(err, &se) {
			t.Fatalf("%q: error of type %T: %v", src, err, err)
		}
	})
}
