// Package narinfo reads and writes .narinfo files, the metadata a Nix
// binary cache serves for each store path (<hash>.narinfo), and signs and
// verifies them with Nix's ed25519 keys.
//
// Parsing follows Nix 2.8's NarInfo constructor (src/libstore/nar-info.cc)
// but is stricter where Nix would read garbage: every line must be
// "Key: value" ending in a newline, and single-valued fields may not
// repeat. Unknown keys are ignored, as Nix ignores them, so that caches
// written by newer tools still parse. Writing reproduces NarInfo::to_string
// byte for byte.
package narinfo

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
)

// ErrCorrupt is matched (with errors.Is) by every parse error.
var ErrCorrupt = errors.New("corrupt narinfo")

// NarInfo describes a store path in a binary cache and the file holding
// its archive.
type NarInfo struct {
	// StoreDir is the store directory StorePath is in; it is needed to
	// print the full paths Nix writes and signs. Parse takes it as an
	// argument.
	StoreDir  storepath.StoreDir
	StorePath storepath.StorePath
	// URL is where the (compressed) archive is, relative to the cache.
	URL string
	// Compression is how the archive file is compressed: "none", "xz",
	// "bzip2", "zstd", ... Nix reads a missing one as "bzip2".
	Compression string
	// FileHash and FileSize describe the compressed file; FileHash may
	// be zero.
	FileHash nixhash.Hash
	FileSize uint64
	// NarHash and NarSize describe the uncompressed archive.
	NarHash nixhash.Hash
	NarSize uint64
	// References are the store paths the path refers to.
	References []storepath.StorePath
	// Deriver is the derivation that built the path; zero if unknown.
	Deriver storepath.StorePath
	// System is the platform the path was built for, if known.
	System string
	// Signatures are "keyname:base64" signatures of the Fingerprint.
	Signatures []string
	// CA is the content address of a content-addressed path; zero if
	// the path is input-addressed.
	CA storepath.ContentAddress
}

// Parse parses a .narinfo file whose paths are in storeDir ("" means
// /nix/store).
func Parse(storeDir storepath.StoreDir, data string) (*NarInfo, error) {
	if storeDir == "" {
		storeDir = storepath.DefaultStoreDir
	}
	ni := &NarInfo{StoreDir: storeDir}
	seen := map[string]bool{}
	line := 0
	for pos := 0; pos < len(data); {
		line++
		eol := strings.IndexByte(data[pos:], '\n')
		if eol < 0 {
			return nil, corrupt(line, "", "line does not end with a newline")
		}
		text := data[pos : pos+eol]
		pos += eol + 1
		key, value, ok := strings.Cut(text, ": ")
		if !ok {
			return nil, corrupt(line, "", fmt.Sprintf("expected \"Key: value\", got %q", clip(text)))
		}
		if key != "Sig" && seen[key] {
			return nil, corrupt(line, key, "field repeated")
		}
		seen[key] = true
		if err := ni.setField(key, value); err != nil {
			return nil, corrupt(line, key, err.Error())
		}
	}
	switch {
	case !seen["StorePath"]:
		return nil, corrupt(0, "StorePath", "missing")
	case !seen["NarHash"]:
		return nil, corrupt(0, "NarHash", "missing")
	case ni.URL == "":
		return nil, corrupt(0, "URL", "missing")
	case ni.NarSize == 0:
		return nil, corrupt(0, "NarSize", "missing or zero")
	}
	if ni.Compression == "" {
		ni.Compression = "bzip2"
	}
	return ni, nil
}

func (ni *NarInfo) setField(key, value string) error {
	var err error
	switch key {
	case "StorePath":
		ni.StorePath, err = ni.StoreDir.ParseCanonical(value)
	case "URL":
		ni.URL = value
	case "Compression":
		ni.Compression = value
	case "FileHash":
		ni.FileHash, err = nixhash.ParseAnyPrefixed(value)
	case "FileSize":
		ni.FileSize, err = parseSize(value)
	case "NarHash":
		ni.NarHash, err = nixhash.ParseAnyPrefixed(value)
	case "NarSize":
		ni.NarSize, err = parseSize(value)
	case "References":
		for _, r := range strings.Fields(value) {
			p, err := storepath.ParseBase(r)
			if err != nil {
				return err
			}
			ni.References = append(ni.References, p)
		}
	case "Deriver":
		if value != "unknown-deriver" {
			ni.Deriver, err = storepath.ParseBase(value)
		}
	case "System":
		ni.System = value
	case "Sig":
		if _, _, err := ParseSignature(value); err != nil {
			return err
		}
		ni.Signatures = append(ni.Signatures, value)
	case "CA":
		if value != "" {
			ni.CA, err = storepath.ParseContentAddress(value)
		}
	}
	return err
}

// parseSize parses a decimal size as Nix's string2Int<uint64_t> does,
// without its laxness about signs.
func parseSize(s string) (uint64, error) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, fmt.Errorf("invalid number %q", clip(s))
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid number %q", clip(s))
	}
	return n, nil
}

func corrupt(line int, key, msg string) error {
	switch {
	case line > 0 && key != "":
		return fmt.Errorf("%w: line %d: %s: %s", ErrCorrupt, line, key, msg)
	case line > 0:
		return fmt.Errorf("%w: line %d: %s", ErrCorrupt, line, msg)
	}
	return fmt.Errorf("%w: %s: %s", ErrCorrupt, key, msg)
}

// clip shortens hostile input quoted in errors.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// String returns the .narinfo text exactly as Nix writes it: fields in
// Nix's order, references and signatures sorted and without duplicates,
// hashes in nix32 with their algorithm.
func (ni *NarInfo) String() string {
	var b strings.Builder
	b.WriteString("StorePath: ")
	b.WriteString(ni.StoreDir.Print(ni.StorePath))
	b.WriteString("\nURL: ")
	b.WriteString(ni.URL)
	b.WriteString("\nCompression: ")
	b.WriteString(ni.Compression)
	b.WriteString("\n")
	if !ni.FileHash.IsZero() {
		b.WriteString("FileHash: ")
		b.WriteString(ni.FileHash.Format(nixhash.Nix32, true))
		b.WriteString("\nFileSize: ")
		b.WriteString(strconv.FormatUint(ni.FileSize, 10))
		b.WriteString("\n")
	}
	b.WriteString("NarHash: ")
	b.WriteString(ni.NarHash.Format(nixhash.Nix32, true))
	b.WriteString("\nNarSize: ")
	b.WriteString(strconv.FormatUint(ni.NarSize, 10))
	b.WriteString("\nReferences:")
	for _, r := range storepath.SortedSet(ni.References) {
		b.WriteByte(' ')
		b.WriteString(r.String())
	}
	// Nix joins the references with spaces after "References: ", so an
	// empty list still leaves the space.
	if len(ni.References) == 0 {
		b.WriteByte(' ')
	}
	b.WriteString("\n")
	if !ni.Deriver.IsZero() {
		b.WriteString("Deriver: ")
		b.WriteString(ni.Deriver.String())
		b.WriteString("\n")
	}
	if ni.System != "" {
		b.WriteString("System: ")
		b.WriteString(ni.System)
		b.WriteString("\n")
	}
	for _, s := range sortedSet(ni.Signatures) {
		b.WriteString("Sig: ")
		b.WriteString(s)
		b.WriteString("\n")
	}
	if ca := ni.CA.String(); ca != "" {
		b.WriteString("CA: ")
		b.WriteString(ca)
		b.WriteString("\n")
	}
	return b.String()
}

func sortedSet(ss []string) []string {
	ss = slices.Clone(ss)
	slices.Sort(ss)
	return slices.Compact(ss)
}

// MarshalText returns String's text.
func (ni *NarInfo) MarshalText() ([]byte, error) { return []byte(ni.String()), nil }

// Fingerprint returns what a signature signs, as Nix's
// ValidPathInfo::fingerprint: "1;<path>;<narhash>;<narsize>;<refs>", with the
// NAR hash as "sha256:<nix32>" and the references as full paths, sorted and
// joined by commas. Nix refuses to sign a path whose size is not known.
func (ni *NarInfo) Fingerprint() (string, error) {
	return Fingerprint(ni.StoreDir, ni.StorePath, ni.NarHash, ni.NarSize, ni.References)
}

// Fingerprint is NarInfo.Fingerprint for a path described by its parts, for
// path infos that come from elsewhere than a .narinfo file.
func Fingerprint(dir storepath.StoreDir, path storepath.StorePath, narHash nixhash.Hash, narSize uint64, refs []storepath.StorePath) (string, error) {
	if narSize == 0 {
		return "", fmt.Errorf("narinfo: cannot fingerprint %s: its NAR size is not known", dir.Print(path))
	}
	if narHash.IsZero() {
		return "", fmt.Errorf("narinfo: cannot fingerprint %s: its NAR hash is not known", dir.Print(path))
	}
	b := []byte("1;")
	b = dir.AppendPrint(b, path)
	b = append(b, ';')
	b = narHash.AppendFormat(b, nixhash.Nix32, true)
	b = append(b, ';')
	b = strconv.AppendUint(b, narSize, 10)
	b = append(b, ';')
	for i, r := range storepath.SortedSet(refs) {
		if i > 0 {
			b = append(b, ',')
		}
		b = dir.AppendPrint(b, r)
	}
	return string(b), nil
}

// IsContentAddressed reports whether ni's path is the one its content
// address and references give, as Nix's isContentAddressed: such a path
// needs no signature to be trusted.
func (ni *NarInfo) IsContentAddressed() bool {
	if ni.CA == (storepath.ContentAddress{}) {
		return false
	}
	var refs []storepath.StorePath
	self := false
	for _, r := range ni.References {
		if r == ni.StorePath {
			self = true
		} else {
			refs = append(refs, r)
		}
	}
	p, err := ni.StoreDir.MakePath(ni.StorePath.Name, ni.CA, refs, self)
	return err == nil && p == ni.StorePath
}
