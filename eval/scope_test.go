package eval

import (
	"context"
	"strings"
	"testing"
)

func TestEvalSourceIn(t *testing.T) {
	ctx := context.Background()
	ev := New(Options{IO: &MemIO{}})
	vars := ev.NewAttrs(map[string]Value{"x": Int(2), "map": Int(5), "s": ev.NewAttrs(map[string]Value{"y": Int(3)})})
	for _, tc := range []struct{ src, want string }{
		{"x * 10", "20"},
		{"map + 1", "6"}, // bound variables shadow builtins
		{"builtins.map (a: a + x) [ 1 ]", "[ 3 ]"}, // builtins are still there
		{"with s; y + x", "5"},                     // with below the scope
		{"let x = 7; in x", "7"},                   // and lets shadow it
		{"with { x = 100; }; x", "2"},              // lexical before with
	} {
		v, err := ev.EvalSourceIn(ctx, "«string»", "/", []byte(tc.src), vars)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if got, _ := ev.Show(ctx, v); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.src, got, tc.want)
		}
	}
	_, err := ev.EvalSourceIn(ctx, "«string»", "/", []byte("x + z"), vars)
	if err == nil || !strings.Contains(err.Error(), "undefined variable 'z'") {
		t.Errorf("undefined variable: %v", err)
	}
	// Lazily: nothing is evaluated until forced.
	v, err := ev.LazySourceIn("«string»", "/", []byte(`throw "later"`), vars)
	if err != nil || KindOf(v) != KindThunk {
		t.Fatalf("LazySourceIn = %v, %v", v, err)
	}
	if _, err := ev.Force(ctx, v); err == nil || !strings.Contains(err.Error(), "later") {
		t.Errorf("forcing: %v", err)
	}
}

func TestWalkAPI(t *testing.T) {
	ctx := context.Background()
	ev := New(Options{IO: &MemIO{Files: map[string]string{"/f.nix": "{\n  a = 1;\n  f = x: x;\n}\n"}}})
	v, err := ev.EvalFile(ctx, "/f.nix")
	if err != nil {
		t.Fatal(err)
	}
	at, ok := ev.Lookup(v.(*Attrs), "a")
	if !ok || ev.Position(at.Pos).String() != "/f.nix:2:3" {
		t.Errorf("Lookup a: %v %v", ev.Position(at.Pos), ok)
	}
	if _, ok := ev.Lookup(v.(*Attrs), "nope"); ok {
		t.Error("Lookup found a missing attribute")
	}
	if _, err := ev.ToGo(ctx, v); err == nil || !strings.Contains(err.Error(), "cannot convert a function to a Go value") {
		t.Errorf("ToGo of a function: %v", err)
	}
	if s, err := ev.CoerceToStringFor(ctx, Int(1), "while testing"); err == nil || !strings.Contains(err.(*Error).Format(false), "while testing") {
		t.Errorf("CoerceToStringFor = %q, %v", s, err)
	}
	names := ev.GlobalNames()
	for _, want := range []string{"builtins", "map", "true", "__add"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("GlobalNames lacks %s", want)
		}
	}
}
