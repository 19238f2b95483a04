package eval

import (
	"os"
	"testing"
)

// Benchmarks of builtin-heavy evaluations; bench/eval/ has the same
// programs for bench/eval-micro.sh, which times them against Nix 2.8.

func benchFile(b *testing.B, name string) {
	b.Helper()
	src, err := os.ReadFile("../bench/eval/" + name)
	if err != nil {
		b.Skip(err)
	}
	benchEval(b, string(src))
}

func BenchmarkSortInts100k(b *testing.B)       { benchFile(b, "sort-ints.nix") }
func BenchmarkJSONRoundTrip10MB(b *testing.B)  { benchFile(b, "json.nix") }
func BenchmarkGenericClosure200k(b *testing.B) { benchFile(b, "closure.nix") }
