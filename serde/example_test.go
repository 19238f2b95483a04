package serde_test

import (
	"fmt"
	"time"

	"github.com/govix/govix/eval"
	"github.com/govix/govix/serde"
)

// A program's configuration, written in Nix.
type Config struct {
	Listen  string             `nix:"listen"`
	Workers int                `nix:"workers"`
	Timeout time.Duration      `nix:"timeout"`
	Sites   map[string]Site    `nix:"sites"`
	Debug   bool               `nix:"debug"`
	Limits  map[string]float64 `nix:"limits"`
}

type Site struct {
	Root    string   `nix:"root"`
	Aliases []string `nix:"aliases"`
	TLS     bool     `nix:"tls"`
}

// Defaults for every site, applied before its attributes are decoded.
func (s *Site) SetDefaults() { s.TLS = true }

func ExampleUnmarshal() {
	src := []byte(`
		let
		  site = name: { root = "/srv/${name}"; aliases = [ "www.${name}" ]; };
		in {
		  listen = "0.0.0.0:8080";
		  workers = 4;
		  timeout = "30s";
		  sites = {
		    "example.org" = site "example.org";
		    "test.example.org" = site "test" // { tls = false; };
		  };
		  limits.rate = 10;    # an integer is a fine float
		  limits.burst = 2.5;
		}`)
	cfg := Config{Debug: true} // absent attributes keep their values
	if err := serde.Unmarshal(src, &cfg); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Listen, cfg.Workers, cfg.Timeout, cfg.Debug)
	fmt.Printf("%+v\n", cfg.Sites["example.org"])
	fmt.Printf("%+v\n", cfg.Sites["test.example.org"])
	fmt.Println(cfg.Limits)
	// Output:
	// 0.0.0.0:8080 4 30s true
	// {Root:/srv/example.org Aliases:[www.example.org] TLS:true}
	// {Root:/srv/test Aliases:[www.test] TLS:false}
	// map[burst:2.5 rate:10]
}

// Type errors name the attribute and where it is defined.
func ExampleUnmarshal_error() {
	src := []byte(`{
  listen = "0.0.0.0:8080";
  workers = "four";
}`)
	var cfg Config
	err := serde.Unmarshal(src, &cfg, serde.WithFileName("config.nix"))
	fmt.Println(err)
	// Output:
	// config.nix:3:3: workers: expected an integer, got a string
}

// A configuration file can be a function of what the program gives it;
// here the files live in memory.
func ExampleUnmarshalFile() {
	files := &eval.MemIO{Files: map[string]string{
		"/etc/app/config.nix": `{ hostname, cores, ... }: {
		  listen = "${hostname}:443";
		  workers = cores * 2;
		  sites.${hostname}.root = "/srv/www";
		}`,
	}}
	var cfg Config
	err := serde.UnmarshalFile("/etc/app/config.nix", &cfg,
		serde.WithEvalOptions(eval.Options{IO: files}),
		serde.Arg("hostname", "app.example.org"),
		serde.Arg("cores", 8),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Listen, cfg.Workers, cfg.Sites["app.example.org"].Root)
	// Output:
	// app.example.org:443 16 /srv/www
}

// Strict decoding: attributes no field asks for are errors, with a
// suggestion for likely typos.
func ExampleDisallowUnknownAttrs() {
	var site Site
	err := serde.Unmarshal([]byte(`{ root = "/srv"; alias = [ ]; }`), &site,
		serde.WithFileName("site.nix"), serde.DisallowUnknownAttrs())
	fmt.Println(err)
	// Output:
	// site.nix:1:18: unknown attribute 'alias'; did you mean 'aliases'?
}
