package wire

import (
	"bytes"
	"io"
	"testing"
)

// FuzzReader drives a Reader with arbitrary bytes: the first byte chooses
// the sequence of primitives to read. It must never panic and must never
// allocate much more than the input could justify.
func FuzzReader(f *testing.F) {
	f.Add([]byte{0})
	f.Add(append([]byte{1}, AppendString(nil, "hello")...))
	f.Add(append([]byte{2}, AppendStrings(nil, []string{"a", "bc"})...))
	f.Add(append([]byte{3}, AppendBytes(nil, bytes.Repeat([]byte{1}, 100))...))
	f.Add(append([]byte{4}, AppendUint64(AppendUint64(nil, 3), 0)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		op, data := data[0], data[1:]
		r := NewReader(bytes.NewReader(data))
		for i := 0; i < 64; i++ {
			var err error
			switch (int(op) + i) % 5 {
			case 0:
				_, err = r.ReadUint64()
			case 1:
				var s string
				s, err = r.ReadString(1 << 20)
				if err == nil && len(s) > len(data) {
					t.Fatalf("string longer than input")
				}
			case 2:
				_, err = r.ReadStrings(1<<20, 1<<20)
			case 3:
				var br io.Reader
				br, _, err = r.BytesReader(1 << 40)
				if err == nil {
					_, err = io.Copy(io.Discard, br)
				}
			case 4:
				_, err = io.Copy(io.Discard, NewFramedReader(r, 1<<20))
			}
			if err != nil {
				return
			}
		}
	})
}
