package eval

import "math"

// Bit operations and rounding.

func init() {
	register(
		&Builtin{Name: "bitAnd", Arity: 2, Fn: func(c Call) Value { return Int(c.Int(0) & c.Int(1)) }},
		&Builtin{Name: "bitOr", Arity: 2, Fn: func(c Call) Value { return Int(c.Int(0) | c.Int(1)) }},
		&Builtin{Name: "bitXor", Arity: 2, Fn: func(c Call) Value { return Int(c.Int(0) ^ c.Int(1)) }},
		&Builtin{Name: "ceil", Arity: 1, Fn: func(c Call) Value { return roundToInt(c, math.Ceil) }},
		&Builtin{Name: "floor", Arity: 1, Fn: func(c Call) Value { return roundToInt(c, math.Floor) }},
	)
}

// roundToInt is builtins.ceil and builtins.floor as current Nix has them:
// an integer argument is returned as it is when the float rounding Nix
// does keeps it, and a result outside the integers is an error (Nix 2.8
// converted it with undefined behaviour).
func roundToInt(c Call, round func(float64) float64) Value {
	x := c.Force(0)
	f := c.Float(0)
	r := round(f)
	const intMin = -9223372036854775808.0 // a power of 2: exact
	n, isInt := x.(Int)
	if !(r >= intMin && r < -intMin) {
		if isInt {
			c.Errorf(EvalError, "Due to a bug (see https://github.com/NixOS/nix/issues/12899) the NixInt argument %d caused undefined behavior in previous Nix versions.\n\tFuture Nix versions might implement the correct behavior.", n)
		}
		c.Errorf(EvalError, "NixFloat argument %s is not in the range of NixInt", FormatFloat(f))
	}
	res := Int(r)
	if isInt && res != n {
		c.Errorf(EvalError, "Due to a bug (see https://github.com/NixOS/nix/issues/12899) a loss of precision occurred in previous Nix versions because the NixInt argument %d was rounded to %d.\n\tFuture Nix versions might implement the correct behavior.", n, res)
	}
	return res
}
