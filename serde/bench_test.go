package serde

import (
	"testing"

	"github.com/govix/govix/eval"
)

// BenchmarkUnmarshal decodes a configuration of 1000 routes, each a set
// made by a function, into a map of structs.
func BenchmarkUnmarshal(b *testing.B) {
	src := []byte(`{
		routes = builtins.listToAttrs (builtins.genList (i: {
			name = "route${toString i}";
			value = { path = "/r/${toString i}"; methods = [ "GET" "POST" ]; weight = i * 0.5; };
		}) 1000);
	}`)
	var c struct {
		Routes map[string]Route `nix:"routes"`
	}
	b.ReportAllocs()
	for b.Loop() {
		c.Routes = nil
		if err := Unmarshal(src, &c, WithBaseDir("/"), WithEvalOptions(eval.Options{IO: &eval.MemIO{}})); err != nil {
			b.Fatal(err)
		}
	}
	if len(c.Routes) != 1000 {
		b.Fatal(len(c.Routes))
	}
}
