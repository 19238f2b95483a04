package storepath

import (
	"strings"

	"github.com/govix/govix/nixcompat/nixhash"
)

// ContentAddress says how a content-addressed path was computed: the "ca"
// of a path's info, as narinfo files and the daemon carry it
// ("text:sha256:<nix32>" or "fixed:[r:]<algo>:<nix32>").
type ContentAddress struct {
	// Text is set for text paths (builtins.toFile, store derivations);
	// their hash is always a flat sha256.
	Text bool
	// Method is how a fixed path's contents were hashed.
	Method Method
	// Hash is the hash of the contents.
	Hash nixhash.Hash
}

// ParseContentAddress parses a content address as Nix 2.8's
// parseContentAddress does. The hash may be in base 16, nix32 or base64.
func ParseContentAddress(s string) (ContentAddress, error) {
	prefix, rest, ok := strings.Cut(s, ":")
	if !ok {
		return ContentAddress{}, errorf("not a content address because it is not in the form '<prefix>:<rest>': %s", s)
	}
	var ca ContentAddress
	switch prefix {
	case "text":
		ca.Text = true
	case "fixed":
		if r, ok := strings.CutPrefix(rest, "r:"); ok {
			ca.Method, rest = Recursive, r
		}
	default:
		return ContentAddress{}, errorf("content address prefix '%s' is unrecognized. Recognized prefixes are 'text' or 'fixed'", prefix)
	}
	algoName, digest, ok := strings.Cut(rest, ":")
	if !ok {
		return ContentAddress{}, errorf("content address hash must be in form '<algo>:<hash>', but found: %s", s)
	}
	algo, err := nixhash.ParseAlgorithm(algoName)
	if err != nil {
		return ContentAddress{}, err
	}
	if ca.Text && algo != nixhash.SHA256 {
		return ContentAddress{}, errorf("text content address hash should use sha256, but instead uses %s", algo)
	}
	if ca.Hash, err = nixhash.ParseNonSRIUnprefixed(digest, algo); err != nil {
		return ContentAddress{}, err
	}
	return ca, nil
}

// String renders ca as Nix does, with the hash in nix32; "" for the zero
// ContentAddress (no content address).
func (ca ContentAddress) String() string {
	if ca.Hash.IsZero() {
		return ""
	}
	if ca.Text {
		return "text:" + ca.Hash.Format(nixhash.Nix32, true)
	}
	return "fixed:" + ca.Method.Prefix() + ca.Hash.Format(nixhash.Nix32, true)
}

// MakePath computes the store path named name with content address ca and
// the given references (Nix's makeFixedOutputPathFromCA). Text paths cannot
// refer to themselves.
func (d StoreDir) MakePath(name string, ca ContentAddress, refs []StorePath, self bool) (StorePath, error) {
	if ca.Text {
		if self {
			return StorePath{}, errorf("text path '%s' cannot refer to itself", name)
		}
		return d.MakeTextPath(name, ca.Hash, refs)
	}
	return d.MakeFixedOutputPath(ca.Method, ca.Hash, name, refs, self)
}
