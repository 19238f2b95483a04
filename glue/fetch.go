package glue

import "github.com/govix/govix/eval"

func (g *Glue) builtinFetchurl(c eval.Call) eval.Value {
	c.Errorf(eval.EvalError, "builtins.fetchurl is not implemented yet")
	return nil
}

func (g *Glue) builtinFetchTarball(c eval.Call) eval.Value {
	c.Errorf(eval.EvalError, "builtins.fetchTarball is not implemented yet")
	return nil
}

func (g *Glue) builtinFetchGit(c eval.Call) eval.Value {
	c.Errorf(eval.EvalError, "builtins.fetchGit is not implemented yet")
	return nil
}

func (g *Glue) builtinFetchTree(c eval.Call) eval.Value {
	c.Errorf(eval.EvalError, "builtins.fetchTree is not implemented yet")
	return nil
}
