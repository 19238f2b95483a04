package narinfo

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
)

// A narinfo as Nix 2.8 wrote it (nix copy --to file://...?secret-key=...).
const nixWritten = `StorePath: /nix/store/ilpa4d4j1bq9cgk2lxd1h4qbik9z6qb2-with-refs
URL: nar/15385l4j760f1kh6snwx41q9wnakwcn55gyiqvnqff83wy4x47q7.nar
Compression: none
FileHash: sha256:15385l4j760f1kh6snwx41q9wnakwcn55gyiqvnqff83wy4x47q7
FileSize: 208
NarHash: sha256:15385l4j760f1kh6snwx41q9wnakwcn55gyiqvnqff83wy4x47q7
NarSize: 208
References: 6h9lcbx523532ax1c5g2351w9bm8ykhy-f.txt hnh4k9f7ql2wcpblcngqcir7j21i9vi4-y
Sig: test-key-1:b6P4+a7FDteGMEzjUGGs/ldUw0Bw2+Z0n2l9/cTIF7LiVUjRJGYdVzp64dPDkmeTsUyw4RiVYxxGsI7c3oy2CA==
CA: text:sha256:0wjv0q77mg8sdivyna0z0lniw4yljiwpgnwayi4kcp3k4haiv9ml
`

// The public key of the secret key that signed it.
const nixPublicKey = "test-key-1:UXRR2GXIoHOjC6G0w14YQ8PzvDnogfcYTCmb4lPUb68="

func TestParseNixWritten(t *testing.T) {
	ni, err := Parse(storepath.DefaultStoreDir, nixWritten)
	if err != nil {
		t.Fatal(err)
	}
	if got := ni.String(); got != nixWritten {
		t.Fatalf("String differs:\n%s\nwant\n%s", got, nixWritten)
	}
	if ni.StorePath.String() != "ilpa4d4j1bq9cgk2lxd1h4qbik9z6qb2-with-refs" || ni.NarSize != 208 || ni.FileSize != 208 ||
		len(ni.References) != 2 || ni.Compression != "none" || !ni.CA.Text {
		t.Fatalf("parsed %+v", ni)
	}
	fp, err := ni.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	wantFP := "1;/nix/store/ilpa4d4j1bq9cgk2lxd1h4qbik9z6qb2-with-refs;sha256:15385l4j760f1kh6snwx41q9wnakwcn55gyiqvnqff83wy4x47q7;208;" +
		"/nix/store/6h9lcbx523532ax1c5g2351w9bm8ykhy-f.txt,/nix/store/hnh4k9f7ql2wcpblcngqcir7j21i9vi4-y"
	if fp != wantFP {
		t.Fatalf("fingerprint\n got %s\nwant %s", fp, wantFP)
	}
	pk, err := ParsePublicKey(nixPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ni.Verify(pk); err != nil || n != 1 {
		t.Fatalf("Verify = %d, %v", n, err)
	}
	if !ni.IsContentAddressed() {
		t.Fatal("text path with matching CA is not content-addressed")
	}
	// Any change to a signed field breaks the signature.
	ni.NarSize++
	if n, _ := ni.Verify(pk); n != 0 {
		t.Fatal("signature still valid after NarSize changed")
	}
	ni.NarSize--
	ni.References = ni.References[:1]
	if n, _ := ni.Verify(pk); n != 0 {
		t.Fatal("signature still valid after References changed")
	}
	other := pk
	other.Name = "other-key"
	ni.References = nil
	if n, _ := ni.Verify(other); n != 0 {
		t.Fatal("signature valid for a key of another name")
	}
}

func TestWriteSortsAndDefaults(t *testing.T) {
	p := func(s string) storepath.StorePath {
		sp, err := storepath.ParseBase(s)
		if err != nil {
			t.Fatal(err)
		}
		return sp
	}
	h := nixhash.SumString(nixhash.SHA256, "x")
	ni := &NarInfo{
		StoreDir:    storepath.DefaultStoreDir,
		StorePath:   p("ilpa4d4j1bq9cgk2lxd1h4qbik9z6qb2-x"),
		URL:         "nar/x.nar.xz",
		Compression: "xz",
		NarHash:     h,
		NarSize:     5,
		References:  []storepath.StorePath{p("hnh4k9f7ql2wcpblcngqcir7j21i9vi4-y"), p("6h9lcbx523532ax1c5g2351w9bm8ykhy-f"), p("hnh4k9f7ql2wcpblcngqcir7j21i9vi4-y")},
		Deriver:     p("6h9lcbx523532ax1c5g2351w9bm8ykhy-x.drv"),
		System:      "x86_64-linux",
		Signatures:  []string{"b:" + strings.Repeat("A", 86) + "==", "a:" + strings.Repeat("B", 86) + "=="},
	}
	want := "StorePath: /nix/store/ilpa4d4j1bq9cgk2lxd1h4qbik9z6qb2-x\nURL: nar/x.nar.xz\nCompression: xz\n" +
		"NarHash: " + h.Format(nixhash.Nix32, true) + "\nNarSize: 5\n" +
		"References: 6h9lcbx523532ax1c5g2351w9bm8ykhy-f hnh4k9f7ql2wcpblcngqcir7j21i9vi4-y\n" +
		"Deriver: 6h9lcbx523532ax1c5g2351w9bm8ykhy-x.drv\nSystem: x86_64-linux\n" +
		"Sig: a:" + strings.Repeat("B", 86) + "==\nSig: b:" + strings.Repeat("A", 86) + "==\n"
	if got := ni.String(); got != want {
		t.Fatalf("\n got %q\nwant %q", got, want)
	}
	back, err := Parse("", want)
	if err != nil {
		t.Fatal(err)
	}
	if back.String() != want {
		t.Fatal("round trip differs")
	}
	// Without a Compression line Nix assumes bzip2.
	noComp := strings.Replace(want, "Compression: xz\n", "", 1)
	if back, err := Parse("", noComp); err != nil || back.Compression != "bzip2" {
		t.Fatalf("missing Compression: %v, %v", back, err)
	}
	// "unknown-deriver" means none; unknown keys are ignored.
	odd := strings.Replace(want, "Deriver: 6h9lcbx523532ax1c5g2351w9bm8ykhy-x.drv", "Deriver: unknown-deriver\nFutureField: 1", 1)
	if back, err := Parse("", odd); err != nil || !back.Deriver.IsZero() {
		t.Fatalf("unknown-deriver: %v, %v", back, err)
	}
}

func TestParseErrors(t *testing.T) {
	good := nixWritten
	tests := []struct {
		name, text string
	}{
		{"empty", ""},
		{"no newline at end", strings.TrimSuffix(good, "\n")},
		{"no colon", good + "garbage\n"},
		{"no space", strings.Replace(good, "URL: ", "URL:", 1)},
		{"missing StorePath", strings.Replace(good, "StorePath: /nix/store/ilpa4d4j1bq9cgk2lxd1h4qbik9z6qb2-with-refs\n", "", 1)},
		{"missing NarHash", strings.Replace(good, "NarHash: sha256:15385l4j760f1kh6snwx41q9wnakwcn55gyiqvnqff83wy4x47q7\n", "", 1)},
		{"missing URL", strings.Replace(good, "URL: nar/15385l4j760f1kh6snwx41q9wnakwcn55gyiqvnqff83wy4x47q7.nar\n", "", 1)},
		{"zero NarSize", strings.Replace(good, "NarSize: 208", "NarSize: 0", 1)},
		{"negative NarSize", strings.Replace(good, "NarSize: 208", "NarSize: -208", 1)},
		{"plus NarSize", strings.Replace(good, "NarSize: 208", "NarSize: +208", 1)},
		{"huge NarSize", strings.Replace(good, "NarSize: 208", "NarSize: 99999999999999999999999", 1)},
		{"bad FileSize", strings.Replace(good, "FileSize: 208", "FileSize: 2x", 1)},
		{"bad NarHash", strings.Replace(good, "NarHash: sha256:1538", "NarHash: sha256:!538", 1)},
		{"unprefixed NarHash", strings.Replace(good, "NarHash: sha256:", "NarHash: ", 1)},
		{"store path elsewhere", strings.Replace(good, "StorePath: /nix/store/", "StorePath: /gnu/store/", 1)},
		{"bad reference", strings.Replace(good, "References: 6h9l", "References: !h9l", 1)},
		{"full path reference", strings.Replace(good, "References: 6h9l", "References: /nix/store/6h9l", 1)},
		{"repeated References", good + "References: \n"},
		{"repeated StorePath", good + "StorePath: /nix/store/ilpa4d4j1bq9cgk2lxd1h4qbik9z6qb2-with-refs\n"},
		{"repeated CA", good + "CA: text:sha256:0wjv0q77mg8sdivyna0z0lniw4yljiwpgnwayi4kcp3k4haiv9ml\n"},
		{"bad CA", strings.Replace(good, "CA: text:", "CA: texte:", 1)},
		{"bad Sig", good + "Sig: nocolon\n"},
		{"short Sig", good + "Sig: k:AAAA\n"},
		{"bad Deriver", good + "Deriver: x\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(storepath.DefaultStoreDir, tt.text)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
			t.Log(err)
		})
	}
}

func TestKeys(t *testing.T) {
	sk, err := GenerateKey("cache.example.org-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	sk2, err := ParseSecretKey(sk.String() + "\n")
	if err != nil || !bytes.Equal(sk2.Key, sk.Key) || sk2.Name != sk.Name {
		t.Fatalf("ParseSecretKey(String()) = %v, %v", sk2, err)
	}
	pk, err := ParsePublicKey(sk.PublicKey().String())
	if err != nil {
		t.Fatal(err)
	}
	sig := sk.Sign("data")
	if ok, err := Verify("data", sig, []PublicKey{pk}); !ok || err != nil {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
	if ok, _ := Verify("other data", sig, []PublicKey{pk}); ok {
		t.Fatal("signature verifies other data")
	}
	if ok, _ := Verify("data", sig, nil); ok {
		t.Fatal("signature verifies without the key")
	}

	// A secret key whose halves do not match is refused.
	bad := append(ed25519.PrivateKey(nil), sk.Key...)
	bad[40] ^= 1
	if _, err := ParseSecretKey(SecretKey{Name: "x", Key: bad}.String()); !errors.Is(err, ErrBadKey) {
		t.Fatalf("mismatched halves: %v", err)
	}
	for _, s := range []string{"", "name", ":AAAA", "name:", "name:!!!!", "name:" + pk.String()[len(pk.Name)+1:]} {
		if _, err := ParseSecretKey(s); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseSecretKey(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "name", "name:", "name:AAAA", sk.String()} {
		if _, err := ParsePublicKey(s); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParsePublicKey(%q): %v", s, err)
		}
	}
	if _, err := GenerateKey("a:b", nil); err == nil {
		t.Error("GenerateKey accepted a name with ':'")
	}
}

func TestSignReplacesSameKey(t *testing.T) {
	ni, err := Parse("", nixWritten)
	if err != nil {
		t.Fatal(err)
	}
	sk, _ := GenerateKey("test-key-1", nil)
	if err := ni.Sign(sk); err != nil {
		t.Fatal(err)
	}
	if len(ni.Signatures) != 1 {
		t.Fatalf("signatures %q", ni.Signatures)
	}
	if n, err := ni.Verify(sk.PublicKey()); n != 1 || err != nil {
		t.Fatalf("Verify = %d, %v", n, err)
	}
	ni.NarSize = 0
	if err := ni.Sign(sk); err == nil {
		t.Fatal("signed a path of unknown size")
	}
}

// FuzzParse checks that Parse never panics and that what it accepts
// prints to something it parses to the same text.
func FuzzParse(f *testing.F) {
	f.Add(nixWritten)
	f.Add("StorePath: /nix/store/ilpa4d4j1bq9cgk2lxd1h4qbik9z6qb2-x\nURL: u\nNarHash: sha256-Bx/SiecDOYftxtG/UizjU1mecCCdW23gDA6YIwktaJQ=\nNarSize: 1\n")
	f.Fuzz(func(t *testing.T, s string) {
		ni, err := Parse("", s)
		if err != nil {
			return
		}
		out := ni.String()
		ni2, err := Parse("", out)
		if err != nil {
			t.Fatalf("re-parsing %q: %v", out, err)
		}
		if ni2.String() != out {
			t.Fatalf("not stable:\n%q\n%q", out, ni2.String())
		}
	})
}
