package refscan

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Inputs for the benchmarks, 4 MiB each, scanned in 64 KiB writes (a
// typical NAR reader's buffer):
//   - binary: random bytes, like compressed data or machine code;
//   - text: Go source from GOROOT (lower-case words, short runs);
//   - paths: text dense with store paths, like a wrapper script or a
//     .pc/.la file, with one needle in every 2.5 KiB;
//   - worst: one run of nix32 characters, where every position starts a
//     candidate window.
func benchInputs(b *testing.B, needles []string) map[string][]byte {
	r := rand.New(rand.NewPCG(3, 4))
	const size = 4 << 20
	in := map[string][]byte{}

	bin := make([]byte, size)
	for i := range bin {
		bin[i] = byte(r.Uint32())
	}
	in["binary"] = bin

	var text []byte
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip("no Go sources to use as text:", err)
	}
	files, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(goroot)), "src", "net", "http", "*.go"))
	for len(text) < size && len(files) > 0 {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			text = append(text, data...)
		}
	}
	if len(text) < size {
		b.Skip("no Go sources to use as text")
	}
	in["text"] = text[:size]

	var paths bytes.Buffer
	for i := 0; paths.Len() < size; i++ {
		h := randomHash(r)
		if i%32 == 0 {
			h = needles[0] // the others stay unfound: no early end
		}
		fmt.Fprintf(&paths, "export PATH=/nix/store/%s-coreutils-9.1/bin:$PATH\n", h)
	}
	in["paths"] = paths.Bytes()[:size]

	in["worst"] = bytes.Repeat([]byte("a"), size)
	return in
}

func BenchmarkScanner(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, nNeedles := range []int{10, 1000} {
		needles := make([]string, nNeedles)
		for i := range needles {
			needles[i] = randomHash(r)
		}
		set, err := NewSet(needles)
		if err != nil {
			b.Fatal(err)
		}
		inputs := benchInputs(b, needles)
		for _, kind := range []string{"binary", "text", "paths", "worst"} {
			data := inputs[kind]
			b.Run(fmt.Sprintf("%s/needles=%d", kind, nNeedles), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					sc := set.NewScanner()
					for rest := data; len(rest) > 0; {
						n := min(len(rest), 64<<10)
						sc.Write(rest[:n])
						rest = rest[n:]
					}
				}
			})
			b.Run(fmt.Sprintf("%s/needles=%d/nix-algorithm", kind, nNeedles), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				var writes [][]byte
				for rest := data; len(rest) > 0; {
					n := min(len(rest), 64<<10)
					writes = append(writes, rest[:n])
					rest = rest[n:]
				}
				for b.Loop() {
					nixScan(needles, writes)
				}
			})
		}
	}
}
