// Package nixjson writes JSON as Nix writes it: Nix serialises JSON with
// nlohmann::json, whose number formatting differs from encoding/json's.
// The evaluator's builtins.toJSON and the builder's .attrs.json both use it.
package nixjson

import (
	"math"
	"strconv"
	"strings"
)

// FormatFloat formats a float as nlohmann::json does: the shortest digits
// that round-trip, with ".0" for integral values and an exponent outside
// [1e-4, 1e15].
func FormatFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "null"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	neg := f < 0
	if neg {
		f = -f
	}
	// Shortest digits and exponent: d.ddde±x.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expS, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expS)
	k := len(digits)
	n := exp + 1 // position of the decimal point
	var out string
	switch {
	case k <= n && n <= 15:
		out = digits + strings.Repeat("0", n-k) + ".0"
	case 0 < n && n <= 15:
		out = digits[:n] + "." + digits[n:]
	case -4 < n && n <= 0:
		out = "0." + strings.Repeat("0", -n) + digits
	default:
		m := digits[:1]
		if k > 1 {
			m += "." + digits[1:]
		}
		x := n - 1
		sign := "+"
		if x < 0 {
			sign = "-"
			x = -x
		}
		xs := strconv.Itoa(x)
		if len(xs) < 2 {
			xs = "0" + xs
		}
		out = m + "e" + sign + xs
	}
	if neg {
		return "-" + out
	}
	return out
}
