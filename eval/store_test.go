package eval

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// realisingStore copies paths to a fixed store path and records (or
// refuses) the contexts it is asked to realise.
type realisingStore struct {
	realised [][]string
	refuse   bool
}

func (s *realisingStore) CopyPathToStore(ctx context.Context, path string) (string, error) {
	return "/nix/store/00000000000000000000000000000000-" + path[strings.LastIndexByte(path, '/')+1:], nil
}

func (s *realisingStore) RealiseContext(ctx context.Context, elems []string) error {
	s.realised = append(s.realised, elems)
	if s.refuse {
		return errors.New("cannot build it")
	}
	return nil
}

func TestRealiseContext(t *testing.T) {
	const sp = "/nix/store/00000000000000000000000000000000-dir"
	io := &MemIO{Files: map[string]string{"/src/dir/f.nix": "1", sp + "/f.nix": "2", sp + "/data": "x"}}
	for _, c := range []struct {
		expr, want string
		refuse     bool
	}{
		{`import "${./dir}/f.nix"`, "2", false},
		{`builtins.readFile "${./dir}/data"`, `"x"`, false},
		{`import ./dir/f.nix`, "1", false}, // no context: nothing to realise
		{`import "${./dir}/f.nix"`, "", true},
		{`builtins.readFile "${./dir}/data"`, "", true},
	} {
		st := &realisingStore{refuse: c.refuse}
		ev := New(Options{IO: io, Store: st})
		got, err := ev.EvalSource(context.Background(), "«string»", "/src", []byte(c.expr))
		if c.refuse {
			if err == nil || !strings.Contains(err.Error(), "cannot build it") {
				t.Errorf("%s: got %v, %v; want the store's error", c.expr, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if s := ev.ShowValue(got, PrintOptions{}); s != c.want {
			t.Errorf("%s = %s, want %s", c.expr, s, c.want)
		}
		wantCalls := 1
		if !strings.Contains(c.expr, "${") {
			wantCalls = 0
		}
		if len(st.realised) != wantCalls || wantCalls == 1 && (len(st.realised[0]) != 1 || st.realised[0][0] != sp) {
			t.Errorf("%s: realised %v", c.expr, st.realised)
		}
	}
}

// placeholder is a plain global in Nix (nixpkgs calls it unqualified);
// __placeholder is not bound.
func TestPlaceholderIsGlobal(t *testing.T) {
	ev := New(Options{IO: &MemIO{}})
	got, err := ev.EvalSource(context.Background(), "«string»", "/", []byte(`placeholder "out"`))
	if err != nil {
		t.Fatal(err)
	}
	if s := ev.ShowValue(got, PrintOptions{}); s != `"/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9"` {
		t.Errorf("placeholder \"out\" = %s", s)
	}
	if _, err := ev.EvalSource(context.Background(), "«string»", "/", []byte(`__placeholder "out"`)); err == nil {
		t.Errorf("__placeholder is bound; Nix has no such name")
	}
}
