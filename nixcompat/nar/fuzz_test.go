package nar

import (
	"bufio"
	"bytes"
	"io"
	"testing"
)

func newBufReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

// FuzzReader feeds arbitrary bytes to the Reader. It must not panic, and
// whatever it accepts must be canonical: encoding what it read gives back
// exactly the bytes it consumed.
func FuzzReader(f *testing.F) {
	for _, tt := range hostile {
		f.Add(tt.nar)
	}
	f.Add(archive(file("hello")))
	f.Add(archive(dir(entry("a", file("x")...), entry("b", dir()...))))
	f.Add(archive([]any{"(", "type", "symlink", "target", "/x", ")"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReader(bytes.NewReader(data))
		var out bytes.Buffer
		r := NewReader(br)
		w := NewWriter(&out)
		for {
			h, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
			if err := w.WriteHeader(h); err != nil {
				t.Fatalf("Writer refused what Reader accepted: %v", err)
			}
			if _, err := io.Copy(w, r); err != nil {
				return
			}
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		consumed := len(data) - br.Buffered()
		if !bytes.Equal(out.Bytes(), data[:consumed]) {
			t.Fatalf("accepted a non-canonical archive:\n in  %q\n out %q", data[:consumed], out.Bytes())
		}
		if int64(consumed) != r.Offset() {
			t.Fatalf("Offset %d, consumed %d", r.Offset(), consumed)
		}
	})
}

// FuzzListingJSON checks that decoding arbitrary .ls JSON never panics
// and that what it accepts encodes back to something it accepts.
func FuzzListingJSON(f *testing.F) {
	f.Add([]byte(`{"version":1,"root":{"type":"directory","entries":{"a":{"type":"regular","size":2,"narOffset":240}}}}`))
	f.Add([]byte(`{"version":1,"root":{"type":"symlink","target":"x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var l Listing
		if err := l.UnmarshalJSON(data); err != nil {
			return
		}
		js, err := l.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var l2 Listing
		if err := l2.UnmarshalJSON(js); err != nil {
			t.Fatalf("re-decoding %s: %v", js, err)
		}
	})
}
