package serde

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/govix/govix/eval"
)

type Route struct {
	Path    string   `nix:"path"`
	Methods []string `nix:"methods"`
	Weight  float64  `nix:"weight"`
}

func (r *Route) SetDefaults() { r.Methods = []string{"GET"} }

type Base struct {
	Name string `nix:"name"`
}

type Config struct {
	Base
	Listen   netip.AddrPort    `nix:"listen"`
	Workers  int               `nix:"workers"`
	Small    uint8             `nix:"small"`
	Timeout  time.Duration     `nix:"timeout"`
	Routes   map[string]*Route `nix:"routes"`
	Hosts    []string          `nix:"hosts"`
	Pair     [2]int            `nix:"pair"`
	Extra    any               `nix:"extra"`
	Hook     eval.Value        `nix:"hook"`
	Optional *int              `nix:"optional"`
	Data     []byte            `nix:"data"`
	Secret   string            `nix:"-"`
	LogLevel string            // matched case-insensitively: logLevel
	Ignored  string            `nix:"ignored,omitempty"`
}

const configSource = `
let port = 8080; in
{
  name = "web";
  listen = "127.0.0.1:${toString port}";
  workers = 2 * 4;
  small = 255;
  timeout = "1m30s";
  routes = {
    home = { path = "/"; weight = 1; };
    api = { path = "/api"; methods = [ "GET" "POST" ]; weight = 0.5; };
  };
  hosts = map (n: "host-${toString n}") [ 1 2 3 ];
  pair = [ 1 2 ];
  extra = { a = [ 1 "two" 3.5 null true ]; };
  hook = x: x + 1;
  optional = null;
  data = "bytes";
  Secret = "not decoded";
  logLevel = "debug";
  notAField = throw "never evaluated";
}
`

func TestUnmarshal(t *testing.T) {
	var c Config
	c.Secret = "kept"
	ev := eval.New(eval.Options{})
	if err := Unmarshal([]byte(configSource), &c, WithEvaluator(ev)); err != nil {
		t.Fatal(err)
	}
	want := Config{
		Base:    Base{Name: "web"},
		Listen:  netip.MustParseAddrPort("127.0.0.1:8080"),
		Workers: 8,
		Small:   255,
		Timeout: 90 * time.Second,
		Routes: map[string]*Route{
			"home": {Path: "/", Methods: []string{"GET"}, Weight: 1},
			"api":  {Path: "/api", Methods: []string{"GET", "POST"}, Weight: 0.5},
		},
		Hosts:    []string{"host-1", "host-2", "host-3"},
		Pair:     [2]int{1, 2},
		Extra:    map[string]any{"a": []any{int64(1), "two", 3.5, nil, true}},
		Data:     []byte("bytes"),
		Secret:   "kept",
		LogLevel: "debug",
	}
	hook := c.Hook
	c.Hook = nil
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
	// An eval.Value is given as it is, unevaluated.
	r, err := ev.Call(t.Context(), hook, eval.Int(41))
	if r != eval.Int(42) || err != nil {
		t.Errorf("hook 41 = %v, %v; want 42", r, err)
	}
}

// Only what the Go type asks for is evaluated.
func TestLazy(t *testing.T) {
	var v struct {
		A int `nix:"a"`
		B struct {
			C string `nix:"c"`
		} `nix:"b"`
	}
	src := `{ a = 1; b = { c = "x"; d = throw "d"; }; e = abort "e"; f = import ./does-not-exist.nix; }`
	if err := Unmarshal([]byte(src), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != 1 || v.B.C != "x" {
		t.Errorf("got %+v", v)
	}
}

func TestErrors(t *testing.T) {
	type Web struct {
		Port  int      `nix:"port"`
		Hosts []string `nix:"hosts"`
		Ratio float32  `nix:"ratio"`
		Small int8     `nix:"small"`
		Name  string   `nix:"name,required"`
	}
	type Services struct {
		Web Web `nix:"web"`
	}
	type Root struct {
		Services Services `nix:"services"`
	}
	for _, tc := range []struct {
		name, src, want string
		opts            []Option
	}{
		{"type", "{\n  services.web = {\n    port = \"80\";\n  };\n}", `config.nix:3:5: services.web.port: expected an integer, got a string`, nil},
		{"list element", "{ services.web.hosts = [ \"a\" 2 ]; services.web.name = \"x\"; }", `config.nix:1:3: services.web.hosts[1]: expected a string, got an integer`, nil},
		{"not a set", "{ services = [ ]; }", `config.nix:1:3: services: expected a set, got a list`, nil},
		{"root", "42", `expected a set, got an integer`, nil},
		{"overflow", "{ services.web.small = 300; services.web.name = \"x\"; }", `config.nix:1:3: services.web.small: 300 does not fit in int8`, nil},
		{"required", "{ services.web.port = 1; }", `config.nix:1:3: services.web: attribute 'name' is required`, nil},
		{"eval error", "{ services.web.port = 1 + \"a\"; services.web.name = \"x\"; }", `config.nix:1:3: services.web.port: cannot add a string to an integer`, nil},
		{"throw", "{ services.web.name = throw \"no name given\"; }", `config.nix:1:3: services.web.name: no name given`, nil},
		{"unknown", "{ services.web = { name = \"x\"; prot = 80; }; }", `config.nix:1:32: services.web: unknown attribute 'prot'; did you mean 'port'?`, []Option{DisallowUnknownAttrs()}},
		{"parse", "{ services = ; }", `config.nix:1:14: syntax error, unexpected ';'`, nil},
		{"function", "x: x", `expected a set, got a function`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r Root
			err := Unmarshal([]byte(tc.src), &r, append([]Option{WithFileName("config.nix"), WithBaseDir("/")}, tc.opts...)...)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error:\n%s\nwant:\n%s", err, tc.want)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Errorf("%T is not a *serde.Error", err)
			}
		})
	}
	// The evaluation error is there in full.
	var r Root
	err := Unmarshal([]byte(`{ services.web.port = 1 + "a"; }`), &r, WithFileName("config.nix"), WithBaseDir("/"))
	var ee *eval.Error
	if !errors.As(err, &ee) || !strings.Contains(ee.Format(false), "error: cannot add a string to an integer") {
		t.Errorf("no eval.Error in %v", err)
	}
}

func TestUnmarshalFileWithArgs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("lib.nix", []byte(`{ double = x: x * 2; }`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("config.nix", []byte(`{ env, port ? 80, lib ? import ./lib.nix, ... }:
{
  url = "https://${env.host}:${toString port}";
  workers = lib.double env.cpus;
  tags = env.tags;
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	var c struct {
		URL     string   `nix:"url"`
		Workers int      `nix:"workers"`
		Tags    []string `nix:"tags"`
	}
	env := struct {
		Host string   `nix:"host"`
		CPUs int      `nix:"cpus"`
		Tags []string `nix:"tags"`
	}{"example.org", 4, []string{"a", "b"}}
	if err := UnmarshalFile("config.nix", &c, Arg("env", env), ArgExpr("port", "400 + 43"), Arg("unused", 1)); err != nil {
		t.Fatal(err)
	}
	if c.URL != "https://example.org:443" || c.Workers != 8 || !reflect.DeepEqual(c.Tags, []string{"a", "b"}) {
		t.Errorf("got %+v", c)
	}
	// Without env: Nix's error, at the file's position as given.
	err := UnmarshalFile("config.nix", &c)
	if err == nil || !strings.HasPrefix(err.Error(), "config.nix:1:1: function 'anonymous lambda' called without required argument 'env'") {
		t.Errorf("error: %v", err)
	}
	// A type error names the file as the caller did.
	os.WriteFile(filepath.Join(dir, "bad.nix"), []byte("{\n  workers = \"many\";\n}\n"), 0o644)
	err = UnmarshalFile("bad.nix", &c)
	if err == nil || err.Error() != "bad.nix:2:3: workers: expected an integer, got a string" {
		t.Errorf("error: %v", err)
	}
}

func TestNullAndPointers(t *testing.T) {
	var v struct {
		P  *int            `nix:"p"`
		Q  *int            `nix:"q"`
		M  map[string]int  `nix:"m"`
		S  []int           `nix:"s"`
		N  int             `nix:"n"`
		PP **string        `nix:"pp"`
		MM map[string]bool `nix:"mm"`
	}
	one := 1
	v.Q = &one
	v.N = 7
	v.MM = map[string]bool{"old": true}
	src := `{ p = 5; q = null; m = null; s = null; n = null; pp = "x"; mm = { new = false; }; }`
	if err := Unmarshal([]byte(src), &v); err != nil {
		t.Fatal(err)
	}
	if v.P == nil || *v.P != 5 || v.Q != nil || v.M != nil || v.S != nil || v.N != 7 || **v.PP != "x" {
		t.Errorf("got %+v", v)
	}
	if !reflect.DeepEqual(v.MM, map[string]bool{"old": true, "new": false}) {
		t.Errorf("map merged into: %v", v.MM)
	}
}

func TestToValue(t *testing.T) {
	ev := eval.New(eval.Options{IO: &eval.MemIO{}})
	type inner struct {
		X int `nix:"x,omitempty"`
		Y int
	}
	v, err := ToValue(ev, map[string]any{
		"list":  []any{1, "a", 2.5, true, nil},
		"inner": inner{Y: 3},
		"dur":   2 * time.Second,
		"addr":  netip.MustParseAddr("::1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ev.Show(t.Context(), v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{ addr = "::1"; dur = "2s"; inner = { y = 3; }; list = [ 1 "a" 2.5 true null ]; }`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestDecodeNeedsPointer(t *testing.T) {
	var x int
	if err := Unmarshal([]byte("1"), x); err == nil {
		t.Error("decoding into a non-pointer succeeded")
	}
	if err := Unmarshal([]byte("1"), &x); err != nil || x != 1 {
		t.Errorf("x = %d, %v", x, err)
	}
}
