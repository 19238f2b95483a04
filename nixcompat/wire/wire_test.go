package wire

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

func TestAppendEncoding(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"uint64", AppendUint64(nil, 0x0102030405060708), "\x08\x07\x06\x05\x04\x03\x02\x01"},
		{"true", AppendBool(nil, true), "\x01\x00\x00\x00\x00\x00\x00\x00"},
		{"false", AppendBool(nil, false), "\x00\x00\x00\x00\x00\x00\x00\x00"},
		{"empty string", AppendString(nil, ""), "\x00\x00\x00\x00\x00\x00\x00\x00"},
		{"short string", AppendString(nil, "abc"), "\x03\x00\x00\x00\x00\x00\x00\x00abc\x00\x00\x00\x00\x00"},
		{"8-byte string", AppendBytes(nil, []byte("12345678")), "\x08\x00\x00\x00\x00\x00\x00\x0012345678"},
		{"list", AppendStrings(nil, []string{"a", ""}), "\x02\x00\x00\x00\x00\x00\x00\x00" +
			"\x01\x00\x00\x00\x00\x00\x00\x00a\x00\x00\x00\x00\x00\x00\x00" +
			"\x00\x00\x00\x00\x00\x00\x00\x00"},
	}
	for _, tt := range tests {
		if string(tt.got) != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	for n := uint64(0); n < 20; n++ {
		if got := PaddedLen(n); got%8 != 0 || got < 8+n || got >= 16+n {
			t.Errorf("PaddedLen(%d) = %d", n, got)
		}
	}
}

func TestWriterReaderRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	big := strings.Repeat("x", 100_003)
	must(t, w.WriteUint64(42))
	must(t, w.WriteBool(true))
	must(t, w.WriteBool(false))
	must(t, w.WriteString("hello"))
	must(t, w.WriteString(big))
	must(t, w.WriteBytes([]byte("bytes!")))
	must(t, w.WriteBytes([]byte(big)))
	must(t, w.WriteStrings([]string{"x", "yy", ""}))
	bw, err := w.BytesWriter(70_001)
	must(t, err)
	for i := 0; i < 7; i++ {
		_, err := bw.Write(bytes.Repeat([]byte{byte(i)}, 10_000))
		must(t, err)
	}
	_, err = bw.Write([]byte{9})
	must(t, err)
	must(t, bw.Close())
	must(t, w.WriteUint64(7))
	must(t, w.Flush())

	// Reading one byte at a time exercises every short read.
	r := NewReader(iotest.OneByteReader(bytes.NewReader(buf.Bytes())))
	if n, err := r.ReadUint64(); err != nil || n != 42 {
		t.Fatalf("ReadUint64 = %d, %v", n, err)
	}
	if b, err := r.ReadBool(); err != nil || !b {
		t.Fatalf("ReadBool = %v, %v", b, err)
	}
	if b, err := r.ReadBool(); err != nil || b {
		t.Fatalf("ReadBool = %v, %v", b, err)
	}
	if s, err := r.ReadString(10); err != nil || s != "hello" {
		t.Fatalf("ReadString = %q, %v", s, err)
	}
	if s, err := r.ReadString(1 << 20); err != nil || s != big {
		t.Fatalf("ReadString(big) = %d bytes, %v", len(s), err)
	}
	if s, err := r.ReadBytes(10); err != nil || string(s) != "bytes!" {
		t.Fatalf("ReadBytes = %q, %v", s, err)
	}
	if s, err := r.ReadBytesTo(make([]byte, 5), 1<<20); err != nil || string(s) != big {
		t.Fatalf("ReadBytesTo(big) = %d bytes, %v", len(s), err)
	}
	if ss, err := r.ReadStrings(3, 2); err != nil || strings.Join(ss, ",") != "x,yy," {
		t.Fatalf("ReadStrings = %q, %v", ss, err)
	}
	br, n, err := r.BytesReader(1 << 20)
	if err != nil || n != 70_001 {
		t.Fatalf("BytesReader = %d, %v", n, err)
	}
	data, err := io.ReadAll(br)
	if err != nil || len(data) != 70_001 || data[70_000] != 9 || data[0] != 0 || data[69_999] != 6 {
		t.Fatalf("BytesReader contents: %d bytes, %v", len(data), err)
	}
	if n, err := r.ReadUint64(); err != nil || n != 7 {
		t.Fatalf("ReadUint64 after stream = %d, %v", n, err)
	}
	if _, err := r.ReadUint64(); err != io.EOF {
		t.Fatalf("at end: %v, want io.EOF", err)
	}
	if r.Offset() != int64(buf.Len()) {
		t.Fatalf("Offset = %d, want %d", r.Offset(), buf.Len())
	}
}

func TestReaderErrors(t *testing.T) {
	str := func(s string) string { return string(AppendString(nil, s)) }
	tests := []struct {
		name  string
		input string
		read  func(*Reader) error
		want  error
	}{
		{"empty", "", func(r *Reader) error { _, err := r.ReadUint64(); return err }, io.EOF},
		{"short int", "\x01\x02", func(r *Reader) error { _, err := r.ReadUint64(); return err }, io.ErrUnexpectedEOF},
		{"bool 2", string(AppendUint64(nil, 2)), func(r *Reader) error { _, err := r.ReadBool(); return err }, ErrBadBool},
		{"too long", str("abcdef"), func(r *Reader) error { _, err := r.ReadString(5); return err }, ErrTooLong},
		{"truncated string", str("abcdef")[:10], func(r *Reader) error { _, err := r.ReadString(10); return err }, io.ErrUnexpectedEOF},
		{"missing padding", str("abc")[:11], func(r *Reader) error { _, err := r.ReadString(10); return err }, io.ErrUnexpectedEOF},
		{"bad padding", str("abc")[:15] + "\x01", func(r *Reader) error { _, err := r.ReadString(10); return err }, ErrBadPadding},
		{"list too long", string(AppendUint64(nil, 5)), func(r *Reader) error { _, err := r.ReadStrings(4, 10); return err }, ErrTooLong},
		{"list truncated", string(AppendUint64(nil, 2)) + str("a"), func(r *Reader) error { _, err := r.ReadStrings(4, 10); return err }, io.ErrUnexpectedEOF},
		{"list element too long", string(AppendUint64(nil, 1)) + str("abc"), func(r *Reader) error { _, err := r.ReadStrings(4, 2); return err }, ErrTooLong},
		{"stream too long", str("abc"), func(r *Reader) error { _, _, err := r.BytesReader(2); return err }, ErrTooLong},
		{"stream truncated", str("abc")[:10], func(r *Reader) error {
			br, _, err := r.BytesReader(5)
			if err != nil {
				return err
			}
			_, err = io.ReadAll(br)
			return err
		}, io.ErrUnexpectedEOF},
		{"stream bad padding", str("abc")[:12] + "\x00\x00\x07\x00", func(r *Reader) error {
			br, _, err := r.BytesReader(5)
			if err != nil {
				return err
			}
			_, err = io.ReadAll(br)
			return err
		}, ErrBadPadding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.read(NewReader(strings.NewReader(tt.input)))
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// TestHostileLengthAllocatesLittle checks that a peer announcing a huge
// string and sending nothing cannot make the reader reserve its size.
func TestHostileLengthAllocatesLittle(t *testing.T) {
	input := AppendUint64(nil, 1<<40)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := NewReader(bytes.NewReader(input)).ReadBytes(1 << 41)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want unexpected EOF", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Fatalf("reading a 1 TiB claim allocated %d bytes", d)
	}
	input = AppendUint64(nil, 1<<40)
	runtime.ReadMemStats(&before)
	_, err = NewReader(bytes.NewReader(input)).ReadStrings(1<<41, 10)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want unexpected EOF", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Fatalf("reading a list of 2^40 strings allocated %d bytes", d)
	}
}

func TestFramed(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	fw := NewFramedWriter(w, 10)
	payload := []byte(strings.Repeat("0123456789abcdef", 5))
	if n, err := fw.Write(payload); err != nil || n != len(payload) {
		t.Fatalf("Write = %d, %v", n, err)
	}
	must(t, fw.Close())
	must(t, w.WriteString("after"))
	must(t, w.Flush())
	// 8 frames of 10 bytes, no padding, then the empty frame.
	if want := 8*(8+10) + 8 + 16; buf.Len() != want {
		t.Fatalf("framed stream is %d bytes, want %d", buf.Len(), want)
	}
	r := NewReader(&buf)
	got, err := io.ReadAll(NewFramedReader(r, 10))
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	if s, err := r.ReadString(10); err != nil || s != "after" {
		t.Fatalf("after stream: %q, %v", s, err)
	}

	_, err = io.ReadAll(NewFramedReader(NewReader(bytes.NewReader(AppendUint64(nil, 11))), 10))
	if !errors.Is(err, ErrTooLong) {
		t.Fatalf("oversized frame: %v", err)
	}
	_, err = io.ReadAll(NewFramedReader(NewReader(bytes.NewReader(AppendUint64(nil, 5))), 10))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated frame: %v", err)
	}
}

func TestBytesWriterLength(t *testing.T) {
	w := NewWriter(io.Discard)
	bw, err := w.BytesWriter(3)
	must(t, err)
	if _, err := bw.Write([]byte("abcd")); !errors.Is(err, ErrShortWrite) {
		t.Fatalf("overlong write: %v", err)
	}
	if err := bw.Close(); !errors.Is(err, ErrShortWrite) {
		t.Fatalf("short close: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
