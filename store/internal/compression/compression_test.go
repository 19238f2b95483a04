package compression

import (
	"bytes"
	"io"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	data := bytes.Repeat([]byte("nix-archive-1 "), 10000)
	for _, c := range []string{"none", "xz", "zstd"} {
		var b bytes.Buffer
		w, err := NewWriter(c, &b)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(c, &b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: round trip gave %d bytes, %v", c, len(got), err)
		}
		if ext := Extension(c); c != "none" {
			if back, ok := FromExtension(ext); !ok || back != c {
				t.Errorf("%s: extension %q maps back to %q", c, ext, back)
			}
		}
	}
	if _, err := NewReader("lz4", nil); err == nil {
		t.Error("unknown compression accepted")
	}
}
