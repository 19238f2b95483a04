package nixbase32

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"testing"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestEncodeKnown(t *testing.T) {
	// Values printed by nix-hash --to-base32 (Nix 2.8).
	tests := []struct {
		hex, nix32 string
	}{
		{"", ""},
		{"1f", "0z"},
		{"ff", "7z"},
		{"0100", "0001"},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"},
		{"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"},
		{"d41d8cd98f00b204e9800998ecf8427e", "3y8bwfr609h3lh9ch0izcqq7fl"},
	}
	for _, tt := range tests {
		src := mustHex(tt.hex)
		if got := EncodeToString(src); got != tt.nix32 {
			t.Errorf("EncodeToString(%s) = %q, want %q", tt.hex, got, tt.nix32)
		}
		if got := EncodedLen(len(src)); got != len(tt.nix32) {
			t.Errorf("EncodedLen(%d) = %d, want %d", len(src), got, len(tt.nix32))
		}
		got, err := DecodeString(tt.nix32)
		if err != nil {
			t.Errorf("DecodeString(%q): %v", tt.nix32, err)
			continue
		}
		if !bytes.Equal(got, src) {
			t.Errorf("DecodeString(%q) = %x, want %s", tt.nix32, got, tt.hex)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
	}{
		{"0", 1},   // no encoding has length 1
		{"000", 3}, // nor 3
		{"8z", 0},  // 8 = 0b01000: bit 3 of 1 byte does not fit
		{"e0", 0},  // e is not in the alphabet
		{"0o", 1},  // nor o
		{"0U", 1},  // nor upper case
		{"0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7t", 51},
		{"zmdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73", 0}, // 256 bits into 52 chars leaves 4 spare
	}
	for _, tt := range tests {
		_, err := DecodeString(tt.in)
		var ce *CorruptInputError
		if !errors.As(err, &ce) {
			t.Errorf("DecodeString(%q) error = %v, want CorruptInputError", tt.in, err)
			continue
		}
		if ce.Offset != tt.offset {
			t.Errorf("DecodeString(%q) offset = %d, want %d (%v)", tt.in, ce.Offset, tt.offset, err)
		}
		if Validate(tt.in) == nil {
			t.Errorf("Validate(%q) = nil, want error", tt.in)
		}
	}
}

func TestRoundTripAllLengths(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 100; n++ {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(r.Uint32())
		}
		enc := EncodeToString(src)
		if !ValidLen(len(enc)) {
			t.Fatalf("ValidLen(%d) false for an encoding of %d bytes", len(enc), n)
		}
		if DecodedLen(len(enc)) != n {
			t.Fatalf("DecodedLen(%d) = %d, want %d", len(enc), DecodedLen(len(enc)), n)
		}
		dec, err := DecodeString(enc)
		if err != nil || !bytes.Equal(dec, src) {
			t.Fatalf("round trip of %x: got %x, %v", src, dec, err)
		}
		if err := Validate(enc); err != nil {
			t.Fatalf("Validate(%q): %v", enc, err)
		}
		app := AppendEncode([]byte("x"), src)
		if string(app) != "x"+enc {
			t.Fatalf("AppendEncode = %q", app)
		}
		back, err := AppendDecode([]byte("y"), app[1:])
		if err != nil || !bytes.Equal(back[1:], src) || back[0] != 'y' {
			t.Fatalf("AppendDecode = %x, %v", back, err)
		}
	}
}

func TestAllValidLengths(t *testing.T) {
	// Exactly the encoded lengths of 0..N bytes are valid.
	valid := map[int]bool{}
	for n := 0; n < 200; n++ {
		valid[EncodedLen(n)] = true
	}
	for l := 0; l < EncodedLen(199); l++ {
		if ValidLen(l) != valid[l] {
			t.Errorf("ValidLen(%d) = %v, want %v", l, ValidLen(l), valid[l])
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73")
	f.Add("3y8bwfr609h3lh9ch0izcqq7fl")
	f.Add("7z")
	f.Add("8z")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeString(s)
		if (Validate(s) == nil) != (err == nil) {
			t.Fatalf("Validate and DecodeString disagree on %q: %v", s, err)
		}
		if err != nil {
			return
		}
		// Decoding is strict, so every accepted input is canonical.
		if enc := EncodeToString(b); enc != s {
			t.Fatalf("DecodeString(%q) = %x, which encodes to %q", s, b, enc)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	sum := sha256.Sum256([]byte("govix"))
	dst := make([]byte, EncodedLen(len(sum)))
	b.SetBytes(int64(len(sum)))
	for b.Loop() {
		Encode(dst, sum[:])
	}
}

func BenchmarkDecode(b *testing.B) {
	sum := sha256.Sum256([]byte("govix"))
	src := []byte(EncodeToString(sum[:]))
	dst := make([]byte, len(sum))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Decode(dst, src); err != nil {
			b.Fatal(err)
		}
	}
}
