package eval

import (
	"encoding/hex"
	"fmt"

	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/zeebo/blake3"
)

// Hash builtins: hashString and convertHash.

func init() {
	register(
		&Builtin{Name: "hashString", Arity: 2, Fn: builtinHashString},
		&Builtin{Name: "convertHash", Arity: 1, Fn: builtinConvertHash},
	)
}

// builtins.hashString algo s: the base-16 digest of s (its context is
// ignored).
func builtinHashString(c Call) Value {
	name := c.StringNoCtx(0)
	blake, algo := c.hashAlgorithm(name)
	s := c.String(1)
	if blake {
		sum := blake3.Sum256([]byte(s.s))
		return Str(hex.EncodeToString(sum[:]))
	}
	return Str(nixhash.SumString(algo, s.s).Base16())
}

// hashAlgorithm parses a hash algorithm's name as Nix's parseHashAlgo:
// md5, sha1, sha256, sha512, or blake3 (behind the blake3-hashes
// experimental feature; blake reports it).
func (c Call) hashAlgorithm(name string) (blake bool, algo nixhash.Algorithm) {
	if name == "blake3" {
		if !c.Ev.features["blake3-hashes"] {
			c.Errorf(EvalError, "experimental Nix feature 'blake3-hashes' is disabled; add '--extra-experimental-features blake3-hashes' to enable it")
		}
		return true, 0
	}
	algo, err := nixhash.ParseAlgorithm(name)
	if err != nil {
		c.Errorf(EvalError, "unknown hash algorithm '%s', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'", name)
	}
	return false, algo
}

// builtins.convertHash { hash, hashAlgo ? <from hash>, toHashFormat }:
// hash (in base16, nix32, base64 or SRI, with or without an "algo:"
// prefix) in the format toHashFormat (base16, nix32, base32, base64 or
// sri).
func builtinConvertHash(c Call) Value {
	a := c.attrsMsg(c.Args[0], "while evaluating the first argument passed to builtins.convertHash")
	hash := c.stringNoCtxMsg(c.requireAttr(a, "hash", "while locating the attribute 'hash'").Value, "while evaluating the attribute 'hash'")
	var algo nixhash.Algorithm
	if at := c.Get(a, "hashAlgo"); at != nil {
		name := c.stringNoCtxMsg(at.Value, "while evaluating the attribute 'hashAlgo'")
		if blake, al := c.hashAlgorithm(name); blake {
			c.Errorf(EvalError, "convertHash: blake3 hashes are not supported by govix")
		} else {
			algo = al
		}
	}
	format := c.stringNoCtxMsg(c.requireAttr(a, "toHashFormat", "while locating the attribute 'toHashFormat'").Value, "while evaluating the attribute 'toHashFormat'")
	var enc nixhash.Encoding
	switch format {
	case "base16":
		enc = nixhash.Base16
	case "nix32":
		enc = nixhash.Nix32
	case "base32":
		fmt.Fprintln(c.Ev.stderr, `warning: "base32" is a deprecated alias for hash format "nix32".`)
		enc = nixhash.Nix32
	case "base64":
		enc = nixhash.Base64
	case "sri":
		enc = nixhash.SRI
	default:
		c.Errorf(EvalError, "unknown hash format '%s', expect 'base16', 'base32', 'base64', or 'sri'", format)
	}
	h, err := nixhash.ParseAny(hash, algo)
	if err != nil {
		c.Errorf(EvalError, "%s", err.Error())
	}
	return Str(h.Format(enc, enc == nixhash.SRI))
}
