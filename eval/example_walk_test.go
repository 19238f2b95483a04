package eval_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/govix/govix/eval"
)

// Evaluate a file (and what it imports) from an in-memory file system:
// eval.MemIO is a sandbox, nothing outside it can be read.
func ExampleEvaluator_EvalFile() {
	ctx := context.Background()
	io := &eval.MemIO{Files: map[string]string{
		"/project/default.nix": `let lib = import ./lib.nix; in { version = lib.version; files = builtins.attrNames (builtins.readDir ./.); }`,
		"/project/lib.nix":     `{ version = "1.2.3"; }`,
	}}
	ev := eval.New(eval.Options{IO: io})
	v, err := ev.EvalFile(ctx, "/project") // a directory means its default.nix
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := ev.Show(ctx, v)
	fmt.Println(out)
	// Output:
	// { files = [ "default.nix" "lib.nix" ]; version = "1.2.3"; }
}

// Values are lazy: walking a set gives thunks, and only what is forced is
// evaluated. Here the attribute that would fail is never forced.
func ExampleEvaluator_Force() {
	ctx := context.Background()
	ev := eval.New(eval.Options{IO: &eval.MemIO{}})
	v, _ := ev.EvalSource(ctx, "«string»", "/", []byte(`{
		cheap = 1 + 1;
		broken = throw "never evaluated";
		list = [ (2 * 3) (abort "nor this") ];
	}`))
	set := v.(*eval.Attrs)
	for name, val := range ev.Each(set) {
		fmt.Printf("%s: %s\n", name, eval.ShowType(val))
	}
	cheap, _ := ev.Get(set, "cheap")
	cheap, _ = ev.Force(ctx, cheap)
	fmt.Println("cheap =", cheap)

	list, _ := ev.Get(set, "list")
	list, _ = ev.Force(ctx, list)
	first, _ := ev.Force(ctx, list.(*eval.List).Index(0))
	fmt.Println("list has", list.(*eval.List).Len(), "elements, the first is", first)

	_, err := ev.Force(ctx, list.(*eval.List).Index(1))
	var ee *eval.Error
	if errors.As(err, &ee) {
		fmt.Println("forcing the second:", ee.Msg)
	}
	// Output:
	// broken: a thunk
	// cheap: a thunk
	// list: a thunk
	// cheap = 2
	// list has 2 elements, the first is 6
	// forcing the second: evaluation aborted with the following error message: 'nor this'
}

// Walk a value recursively, forcing as you go.
func ExampleEvaluator_Each() {
	ctx := context.Background()
	ev := eval.New(eval.Options{IO: &eval.MemIO{}})
	v, _ := ev.EvalSource(ctx, "«string»", "/", []byte(`{
		name = "demo";
		deps = [ { name = "a"; } { name = "b"; version = 2; } ];
		meta.license = null;
	}`))
	var walk func(path string, v eval.Value)
	walk = func(path string, v eval.Value) {
		v, err := ev.Force(ctx, v)
		if err != nil {
			fmt.Println(path, "fails:", err)
			return
		}
		switch x := v.(type) {
		case *eval.Attrs:
			for name, val := range ev.Each(x) {
				walk(strings.TrimPrefix(path+"."+name, "."), val)
			}
		case *eval.List:
			for i, e := range x.Elems() {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case *eval.String:
			fmt.Printf("%s = %q\n", path, x.String())
		default:
			fmt.Printf("%s = %v (%s)\n", path, x, eval.KindOf(x))
		}
	}
	walk("", v)
	// Output:
	// deps[0].name = "a"
	// deps[1].name = "b"
	// deps[1].version = 2 (int)
	// meta.license = {} (null)
	// name = "demo"
}

// Convert a whole value to plain Go values (as encoding/json would give);
// see package serde to decode into structs.
func ExampleEvaluator_ToGo() {
	ctx := context.Background()
	ev := eval.New(eval.Options{IO: &eval.MemIO{}})
	v, _ := ev.EvalSource(ctx, "«string»", "/", []byte(`{ n = 1; f = 1.5; s = "x"; l = [ true null ]; }`))
	g, err := ev.ToGo(ctx, v)
	fmt.Printf("%#v %v\n", g, err)
	// Output:
	// map[string]interface {}{"f":1.5, "l":[]interface {}{true, interface {}(nil)}, "n":1, "s":"x"} <nil>
}

// Call a Nix function from Go, with Go values converted to Nix ones.
func ExampleEvaluator_Call() {
	ctx := context.Background()
	ev := eval.New(eval.Options{IO: &eval.MemIO{}})
	f, _ := ev.EvalSource(ctx, "«string»", "/", []byte(`{ name, greeting ? "hello" }: "${greeting}, ${name}!"`))
	r, err := ev.Call(ctx, f, ev.NewAttrs(map[string]eval.Value{"name": eval.Str("world")}))
	fmt.Println(r, err)
	// Output:
	// hello, world! <nil>
}

// Errors print as Nix prints them: the message, where, and the trace.
func ExampleError_Format() {
	ev := eval.New(eval.Options{IO: &eval.MemIO{}})
	_, err := ev.EvalSource(context.Background(), "«string»", "/", []byte("let\n  x = 1;\nin x + \"two\""))
	var ee *eval.Error
	if errors.As(err, &ee) {
		fmt.Println(ee.Format(false))
	}
	// Output:
	// error: cannot add a string to an integer
	//        at «string»:3:8:
	//             2|   x = 1;
	//             3| in x + "two"
	//              |        ^
}
