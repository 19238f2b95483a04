package fastcdc

import (
	"math/rand/v2"
	"testing"
)

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func cutAll(c *Chunker, data []byte) []int {
	var sizes []int
	for len(data) > 0 {
		n := c.Cut(data)
		sizes = append(sizes, n)
		data = data[n:]
	}
	return sizes
}

func TestBounds(t *testing.T) {
	c, err := New(DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(1, 64<<20)
	sizes := cutAll(c, data)
	total := 0
	for i, s := range sizes {
		total += s
		if s > DefaultParams.Max || (s < DefaultParams.Min && i != len(sizes)-1) {
			t.Fatalf("chunk %d has size %d, outside [%d, %d]", i, s, DefaultParams.Min, DefaultParams.Max)
		}
	}
	if total != len(data) {
		t.Fatalf("chunks add up to %d, want %d", total, len(data))
	}
	avg := total / len(sizes)
	if avg < DefaultParams.Avg/2 || avg > DefaultParams.Avg*2 {
		t.Errorf("average chunk size %d, want about %d", avg, DefaultParams.Avg)
	}
	t.Logf("%d chunks, average %d bytes", len(sizes), avg)
}

func TestSmallIsOneChunk(t *testing.T) {
	c, _ := New(DefaultParams)
	for _, n := range []int{0, 1, 1000, DefaultParams.Min} {
		if got := c.Cut(make([]byte, n)); got != n {
			t.Errorf("Cut of %d bytes = %d", n, got)
		}
	}
	// Zeros never match the mask: the chunk is cut at Max.
	if got := c.Cut(make([]byte, 3<<20)); got != DefaultParams.Max {
		t.Errorf("Cut of zeros = %d, want Max", got)
	}
}

// TestShift checks the point of content-defined chunking: inserting bytes
// near the start of a stream leaves the later boundaries where they were.
func TestShift(t *testing.T) {
	c, _ := New(DefaultParams)
	data := randomBytes(2, 16<<20)
	shifted := append(append(randomBytes(3, 1234), data[:100]...), data[100:]...)
	a, b := cutAll(c, data), cutAll(c, shifted)
	set := map[string]bool{}
	off := 0
	for _, n := range a {
		set[string(data[off:off+n])] = true
		off += n
	}
	shared := 0
	off = 0
	for _, n := range b {
		if set[string(shifted[off:off+n])] {
			shared++
		}
		off += n
	}
	if shared < len(a)-2 {
		t.Errorf("only %d of %d chunks shared after an insertion", shared, len(a))
	}
}

func TestGearStable(t *testing.T) {
	// The table is part of the deduplication format: pin a few entries.
	if gear[0] != 0x6933c6ff5155eb45 {
		t.Fatalf("gear[0] = %#x", gear[0])
	}
	c, _ := New(DefaultParams)
	sizes := cutAll(c, randomBytes(42, 4<<20))
	want := []int{318840, 332945, 279386, 302224, 394195, 345324, 301787, 117282, 338438, 273062, 354372, 264595, 287064, 284790}
	if len(sizes) != len(want) {
		t.Fatalf("chunk sizes %v, want %v", sizes, want)
	}
	for i := range sizes {
		if sizes[i] != want[i] {
			t.Fatalf("chunk sizes %v, want %v", sizes, want)
		}
	}
}

func BenchmarkCut(b *testing.B) {
	c, _ := New(DefaultParams)
	data := randomBytes(7, 32<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		cutAll(c, data)
	}
}
