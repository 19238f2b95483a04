package eval

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// benchEval evaluates src strictly b.N times, each with a fresh evaluator.
func benchEval(b *testing.B, src string) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		ev := New(Options{IO: &MemIO{}})
		v, err := ev.EvalSource(context.Background(), "«string»", "/", []byte(src))
		if err == nil {
			err = ev.ForceDeep(context.Background(), v)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFib20(b *testing.B) {
	benchEval(b, `let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in fib 20`)
}

func BenchmarkAttrsBuildFold(b *testing.B) {
	benchEval(b, `let s = builtins.listToAttrs (builtins.genList (i: { name = "a${toString i}"; value = i; }) 10000);
		in builtins.foldl' (acc: n: acc + s.${n}) 0 (builtins.attrNames s)`)
}

func BenchmarkListMapFilterFold(b *testing.B) {
	benchEval(b, `let l = builtins.genList (i: i) 10000;
		in builtins.foldl' (a: x: a + x) 0 (builtins.filter (x: x / 2 * 2 == x) (map (x: x * 3) l))`)
}

func BenchmarkStringConcat(b *testing.B) {
	benchEval(b, `builtins.foldl' (acc: i: "${acc}${toString i}") "" (builtins.genList (i: i) 2000)`)
}

func BenchmarkUpdateChain(b *testing.B) {
	benchEval(b, `let base = builtins.listToAttrs (builtins.genList (i: { name = "a${toString i}"; value = i; }) 1000);
		in builtins.foldl' (s: i: s // { "b${toString i}" = i; }) base (builtins.genList (i: i) 200)`)
}

func BenchmarkWithLookup(b *testing.B) {
	benchEval(b, `let lib = { a = 1; b = 2; c = 3; d = 4; e = 5; f = 6; g = 7; h = 8; i = 9; j = 10; };
		in builtins.foldl' (acc: x: acc + (with lib; a + b + j)) 0 (builtins.genList (i: i) 10000)`)
}

func BenchmarkRecAttrs(b *testing.B) {
	benchEval(b, `builtins.foldl' (acc: i: acc + (rec { a = i; b = a + 1; c = b + a; }).c) 0 (builtins.genList (i: i) 10000)`)
}

// BenchmarkMicroFiles evaluates the files of bench/eval (the micro
// benchmarks bench/eval-micro.sh compares with Nix).
func BenchmarkMicroFiles(b *testing.B) {
	files, _ := filepath.Glob("../bench/eval/*.nix")
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(f), func(b *testing.B) { benchEval(b, string(src)) })
	}
}
