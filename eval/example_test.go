package eval_test

import (
	"context"
	"fmt"
	"os"

	"github.com/govix/govix/eval"
)

// Evaluate an expression and walk the resulting set.
func Example() {
	ctx := context.Background()
	ev := eval.New(eval.Options{IO: &eval.MemIO{}})
	v, err := ev.EvalSource(ctx, "«string»", "/", []byte(`
		let name = "govix"; in {
		  greeting = "hello ${name}";
		  numbers = builtins.genList (i: i * i) 4;
		  nested.answer = 6 * 7;
		}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	set := v.(*eval.Attrs)
	for _, name := range ev.AttrNames(set) {
		a, _ := ev.Get(set, name)
		a, err := ev.Force(ctx, a)
		if err != nil {
			fmt.Println(err)
			return
		}
		switch a := a.(type) {
		case *eval.String:
			fmt.Printf("%s = %q\n", name, a.String())
		case *eval.List:
			fmt.Printf("%s has %d elements\n", name, a.Len())
		case *eval.Attrs:
			fmt.Printf("%s is a set of %d\n", name, a.Len())
		}
	}
	// Print a value as nix-instantiate --eval --strict does.
	ev.WriteValue(ctx, os.Stdout, v, true)
	// Output:
	// greeting = "hello govix"
	// nested is a set of 1
	// numbers has 4 elements
	// { greeting = "hello govix"; nested = { answer = 42; }; numbers = [ 0 1 4 9 ]; }
}

// Evaluation errors are *eval.Error values worded as Nix words them.
func Example_error() {
	ev := eval.New(eval.Options{IO: &eval.MemIO{}})
	_, err := ev.EvalSource(context.Background(), "«string»", "/", []byte(`{ a = 1; }.b`))
	fmt.Println(err.(*eval.Error).Msg)
	// Output:
	// attribute 'b' missing
}
