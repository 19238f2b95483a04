package eval

import (
	"fmt"
	"strings"
	"testing"
)

var listCases = []nixCase{
	// sort: stable, and the same comparisons as libstdc++'s stable_sort,
	// so even inconsistent comparators give Nix's order.
	{expr: `builtins.sort builtins.lessThan [ 483 249 526 147 42 77 ]`, want: `[ 42 77 147 249 483 526 ]`},
	{expr: `builtins.sort (a: b: a > b) [ 483 249 526 147 42 77 ]`, want: `[ 526 483 249 147 77 42 ]`},
	{expr: `builtins.sort builtins.lessThan [ "foo" "bar" "xyzzy" "fnord" ]`, want: `[ "bar" "fnord" "foo" "xyzzy" ]`},
	{expr: `builtins.sort builtins.lessThan [ 2 1.5 1 0.5 ]`, want: `[ 0.5 1 1.5 2 ]`},
	{expr: `builtins.sort builtins.lessThan [ [ 1 6 ] [ ] [ 2 3 ] [ 3 ] [ 1 5 ] [ 2 ] [ 1 ] [ ] [ 1 4 ] [ 3 ] ]`,
		want: `[ [ ] [ ] [ 1 ] [ 1 4 ] [ 1 5 ] [ 1 6 ] [ 2 ] [ 2 3 ] [ 3 ] [ 3 ] ]`},
	{expr: `map (x: x.v) (builtins.sort (a: b: a.k < b.k) (builtins.genList (i: { k = builtins.bitAnd i 3; v = i; }) 20))`,
		want: `[ 0 4 8 12 16 1 5 9 13 17 2 6 10 14 18 3 7 11 15 19 ]`},
	{expr: `map (x: x.v) (builtins.sort (a: b: a.k <= b.k) (builtins.genList (i: { k = builtins.bitAnd i 3; v = i; }) 30))`,
		want: `[ 28 24 20 16 12 8 4 0 29 25 21 17 13 9 5 1 26 22 18 14 10 6 2 27 23 19 15 11 7 3 ]`},
	{expr: `builtins.sort (a: b: true) [ 1 2 3 4 5 6 7 8 9 10 ]`, want: `[ 10 9 8 7 6 5 4 3 2 1 ]`},
	{expr: `builtins.sort (a: b: false) [ 3 1 2 ]`, want: `[ 3 1 2 ]`},
	{expr: `builtins.sort throw [ ]`, want: `[ ]`},
	{expr: `builtins.sort builtins.lessThan [ (1 + 1) 1 ]`, want: `[ 1 2 ]`},
	{expr: `builtins.sort 1 "foo"`, err: `expected a list but found a string: "foo"`},
	{expr: `builtins.sort 1 [ "foo" ]`, err: `expected a function but found an integer: 1`},
	{expr: `builtins.sort (_: 1) [ "foo" "bar" ]`, err: `attempt to call something which is not a function but an integer: 1`},
	{expr: `builtins.sort (_: _: 1) [ "foo" "bar" ]`, err: `expected a Boolean but found an integer: 1`},
	{expr: `builtins.sort (a: b: a <= b) [ "foo" { } ]`, err: `cannot compare a string with a set; values are "foo" and { }`},
	{expr: `builtins.sort builtins.lessThan [ 1 "a" ]`, err: `cannot compare a string with an integer; values are "a" and 1`},

	// partition, groupBy
	{expr: `builtins.partition (x: x > 10) [ 1 23 9 3 42 ]`, want: `{ right = [ 23 42 ]; wrong = [ 1 9 3 ]; }`},
	{expr: `builtins.partition (x: x > 10) [ ]`, want: `{ right = [ ]; wrong = [ ]; }`},
	{expr: `builtins.partition (_: 1) [ "foo" ]`, err: `expected a Boolean but found an integer: 1`},
	{expr: `builtins.partition 1 "foo"`, err: `expected a function but found an integer: 1`},
	{expr: `builtins.groupBy (x: if x > 2 then "big" else "small") [ 1 5 2 7 ]`, want: `{ big = [ 5 7 ]; small = [ 1 2 ]; }`},
	{expr: `builtins.groupBy (x: x) [ "foo" "bar" 1 ]`, err: `expected a string but found an integer: 1`},
	{expr: `builtins.groupBy (_: 1) "foo"`, err: `expected a list but found a string: "foo"`},

	// genericClosure
	{expr: `builtins.genericClosure { startSet = [ { key = 80; } ]; operator = { key, ... }: if key < 0 then [ ] else [ { key = key - 9; } { key = key - 13; } ]; }`,
		want: `[ { key = 80; } { key = 71; } { key = 67; } { key = 62; } { key = 58; } { key = 54; } { key = 53; } { key = 49; } { key = 45; } { key = 41; } { key = 44; } { key = 40; } { key = 36; } { key = 32; } { key = 28; } { key = 35; } { key = 31; } { key = 27; } { key = 23; } { key = 19; } { key = 15; } { key = 26; } { key = 22; } { key = 18; } { key = 14; } { key = 10; } { key = 6; } { key = 2; } { key = 17; } { key = 13; } { key = 9; } { key = 5; } { key = 1; } { key = -3; } { key = -7; } { key = -11; } { key = 8; } { key = 4; } { key = 0; } { key = -4; } { key = -8; } { key = -12; } { key = -1; } { key = -5; } { key = -9; } { key = -13; } ]`},
	{expr: `map (x: x.key) (builtins.genericClosure { startSet = [ { key = "a"; d = 0; } ]; operator = x: if x.d == 3 then [ ] else [ { key = x.key + "b"; d = x.d + 1; } { key = x.key + "a"; d = x.d + 1; } ]; })`,
		want: `[ "a" "ab" "aa" "abb" "aba" "aab" "aaa" "abbb" "abba" "abab" "abaa" "aabb" "aaba" "aaab" "aaaa" ]`},
	{expr: `map (x: x.key) (builtins.genericClosure { startSet = [ { key = 1; } { key = 1.0; } { key = 2.5; } { key = 2; } ]; operator = x: [ ]; })`,
		want: `[ 1 2.5 2 ]`},
	{expr: `map (x: x.key) (builtins.genericClosure { startSet = [ { key = [ 1 2 ]; } { key = [ 1 ]; } { key = [ 1 2 ]; } { key = [ ]; } ]; operator = x: [ ]; })`,
		want: `[ [ 1 2 ] [ 1 ] [ ] ]`},
	{expr: `map (x: x.key) (builtins.genericClosure { startSet = [ { key = 1; } { key = 2; } { key = 3.5; } { key = 1; } ]; operator = x: [ ]; })`,
		want: `[ 1 2 3.5 ]`},
	{expr: `builtins.genericClosure { startSet = [ { key = null; } ]; operator = x: [ ]; }`, want: `[ { key = null; } ]`},
	{expr: `builtins.genericClosure { startSet = [ ]; }`, want: `[ ]`, newer: true},
	{expr: `builtins.genericClosure { startSet = [ { key = 1; } { key = "string"; } ]; operator = x: [ ]; }`,
		err: `cannot compare a string with an integer; values are "string" and 1`},
	{expr: `builtins.genericClosure { startSet = [ { key = { }; } { key = { }; } ]; operator = x: [ ]; }`,
		err: `cannot compare a set with a set; values of that type are incomparable (values are { } and { })`},
	{expr: `builtins.genericClosure { startSet = [ { nokey = 1; } ]; operator = x: [ ]; }`, err: `attribute 'key' missing`},
	{expr: `builtins.genericClosure { startSet = [ "x" ]; operator = x: [ ]; }`, err: `expected a set but found a string: "x"`},
	{expr: `builtins.genericClosure { operator = x: [ ]; }`, err: `attribute 'startSet' missing`},
	{expr: `builtins.genericClosure { startSet = [ { key = 1; } ]; }`, err: `attribute 'operator' missing`},
	{expr: `builtins.genericClosure { startSet = [ { key = 1; } ]; operator = x: "not a list"; }`, err: `expected a list but found a string: "not a list"`},

	// Bit operations and rounding.
	{expr: `[ (builtins.bitAnd 12 10) (builtins.bitOr 12 10) (builtins.bitXor 12 10) (builtins.bitAnd (-1) 255) (builtins.bitXor (-1) 0) ]`, want: `[ 8 14 6 255 -1 ]`},
	{expr: `builtins.bitAnd 1.1 2`, err: `expected an integer but found a float: 1.1`},
	{expr: `[ (builtins.floor 23.5) (builtins.ceil 23.5) (builtins.floor 23) (builtins.ceil 23) (builtins.floor (-1.5)) (builtins.ceil (-1.5)) (builtins.ceil (-0.5)) ]`, want: `[ 23 24 23 23 -2 -1 0 ]`},
	{expr: `builtins.ceil "foo"`, err: `expected a float but found a string: "foo"`},
	{expr: `builtins.floor 1.0e30`, err: `NixFloat argument 1e+30 is not in the range of NixInt`, newer: true},
	{expr: `builtins.floor 9007199254740993`, err: "Due to a bug (see https://github.com/NixOS/nix/issues/12899) a loss of precision occurred in previous Nix versions because the NixInt argument 9007199254740993 was rounded to 9007199254740992.\n\tFuture Nix versions might implement the correct behavior.", newer: true},

	// The list basics.
	{expr: `[ (builtins.all (x: x > 0) [ ]) (builtins.any (x: x > 0) [ ]) (builtins.elem 1.0 [ 1 ]) (builtins.elem [ 1 ] [ [ 1 ] ]) ]`, want: `[ true false true true ]`},
	{expr: `builtins.elemAt [ 1 2 ] 2`, err: `'builtins.elemAt' called with index 2 on a list of size 2`},
	{expr: `builtins.elemAt [ 1 2 ] (-1)`, err: `'builtins.elemAt' called with index -1 on a list of size 2`},
	{expr: `builtins.head [ ]`, err: `'builtins.head' called on an empty list`},
	{expr: `builtins.tail [ ]`, err: `'builtins.tail' called on an empty list`},
	{expr: `builtins.genList (x: x) (-1)`, err: `cannot create list of size -1`},
	{expr: `builtins.length (builtins.genList throw 3)`, want: `3`},
	{expr: `builtins.foldl' (a: b: a ++ [ b ]) [ ] [ 1 2 3 ]`, want: `[ 1 2 3 ]`},
	{expr: `builtins.foldl' throw 7 [ ]`, want: `7`},
	{expr: `builtins.concatMap (x: [ x ] ++ [ x ]) [ 1 2 ]`, want: `[ 1 1 2 2 ]`},
	{expr: `builtins.filter (x: x != 2) [ 1 2 3 2 ]`, want: `[ 1 3 ]`},
	{expr: `builtins.map (x: x) [ ]`, want: `[ ]`},
}

func TestListBuiltins(t *testing.T) {
	runNixCases(t, t.TempDir(), listCases, Options{IO: &MemIO{}})
}

func TestListBuiltinsMatchNix(t *testing.T) {
	checkNixCases(t, t.TempDir(), listCases)
}

// TestSortComparisonsMatchNix traces every comparison a sort makes with an
// inconsistent comparator: the calls and the result are Nix 2.8's.
func TestSortComparisonsMatchNix(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 8, 14, 15, 29, 100, 1000} {
		expr := fmt.Sprintf(`let
			l = builtins.genList (i: i * 7919 - (builtins.div i 3) * 31) %d;
			m = a: a - (builtins.div a 5) * 5;
		in builtins.sort (a: b: builtins.trace "${toString a} ${toString b}" (m a <= m b)) l`, n)
		var stderr strings.Builder
		ev := New(Options{IO: &MemIO{}, Stderr: &stderr})
		got, err := evalIn(ev, "/", expr)
		if err != nil {
			t.Fatal(err)
		}
		govix := stderr.String() + got + "\n"
		nix := runNix(t, expr)
		if govix != nix {
			t.Errorf("sort of %d: govix and Nix differ:\n%s\n---\n%s", n, firstLines(govix, 10), firstLines(nix, 10))
		}
	}
}

// TestIntSet compares the bitmap-and-map set with a plain map on keys
// dense and sparse, negative and huge.
func TestIntSet(t *testing.T) {
	var s intSet
	ref := map[Int]bool{}
	x := uint64(1)
	for i := range 200000 {
		x = x*6364136223846793005 + 1442695040888963407
		var k Int
		switch i % 4 {
		case 0:
			k = Int(x % 5000)
		case 1:
			k = Int(x%100000) - 50000
		case 2:
			k = Int(x >> 1)
		default:
			k = Int(i)
		}
		if got, want := s.add(k), !ref[k]; got != want {
			t.Fatalf("add(%d) = %v, want %v", k, got, want)
		}
		ref[k] = true
	}
	if s.n != len(ref) {
		t.Errorf("%d members, want %d", s.n, len(ref))
	}
}

// TestGenericClosureKeyKinds: keys that start as integers and go on as
// floats and lists are compared as Nix compares them (the hash set is
// replaced by the tree with the same contents).
func TestGenericClosureKeyKinds(t *testing.T) {
	cases := []nixCase{
		{expr: `map (x: x.key) (builtins.genericClosure { startSet = [ { key = -5; } { key = 1000000000000; } { key = 3; } ]; operator = x: if x.key == 3 then [ { key = 3.0; } { key = 2.5; } { key = -5; } ] else [ ]; })`,
			want: `[ -5 1000000000000 3 2.5 ]`},
		{expr: `map (x: x.key) (builtins.genericClosure { startSet = [ { key = "b"; } { key = "a"; } { key = "b"; } ]; operator = x: [ ]; })`,
			want: `[ "b" "a" ]`},
		{expr: `builtins.length (builtins.genericClosure { startSet = builtins.genList (i: { key = i * 7; }) 3000; operator = x: if x.key < 100000 then [ { key = x.key * 2; } { key = x.key + 1; } ] else [ ]; })`,
			want: `150000`},
		{expr: `builtins.genericClosure { startSet = [ { key = 1; } { key = 2; } { key = 3; } { key = "x"; } ]; operator = x: [ ]; }`,
			err: `cannot compare a string with an integer; values are "x" and 2`, newer: true},
	}
	runNixCases(t, "/", cases, Options{IO: &MemIO{}})
	checkNixCases(t, t.TempDir(), cases)
}

// TestRBTree checks the red-black tree genericClosure keeps keys in after
// many insertions: keys in order, each once, a black root, no red node
// with a red child, and the same number of black nodes on every path.
func TestRBTree(t *testing.T) {
	ev := New(Options{IO: &MemIO{}})
	tree := &rbTree{ev: ev, root: -1}
	ref := map[Int]bool{}
	x := uint64(7)
	for range 5000 {
		x = x*6364136223846793005 + 1442695040888963407
		k := Int(x % 3000)
		if got, want := tree.insert(k, nil), !ref[k]; got != want {
			t.Fatalf("insert(%d) = %v, want %v", k, got, want)
		}
		ref[k] = true
	}
	var prev Int = -1
	count := 0
	tree.each(func(n *rbNode) bool {
		if k := n.key.(Int); k <= prev {
			t.Fatalf("out of order: %d after %d", k, prev)
		} else {
			prev = k
		}
		count++
		return true
	})
	if count != len(ref) {
		t.Fatalf("%d nodes, want %d", count, len(ref))
	}
	if tree.nodes[tree.root].red {
		t.Fatal("red root")
	}
	var blackHeight func(x int32) int
	blackHeight = func(x int32) int {
		if x < 0 {
			return 1
		}
		n := tree.nodes[x]
		for _, c := range []int32{n.left, n.right} {
			if c >= 0 && n.red && tree.nodes[c].red {
				t.Fatalf("red node %v has a red child", n.key)
			}
			if c >= 0 && tree.nodes[c].parent != x {
				t.Fatalf("bad parent link under %v", n.key)
			}
		}
		l, r := blackHeight(n.left), blackHeight(n.right)
		if l != r {
			t.Fatalf("black heights %d and %d under %v", l, r, n.key)
		}
		if n.red {
			return l
		}
		return l + 1
	}
	blackHeight(tree.root)
	small := &rbTree{ev: ev, root: -1}
	for _, k := range []Int{1, 2, 3} {
		small.insert(k, nil)
	}
	if got, want := small.String(), "((. r1 .) b2 (. r3 .))"; got != want {
		t.Errorf("tree of 1 2 3: %s, want %s", got, want)
	}
}
