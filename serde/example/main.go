// Command example shows Nix as a configuration language for a Go program:
// it reads config.nix (a function of the host it runs on), decodes it
// into Go structs with serde, and prints what it would serve.
//
//	go run ./serde/example -config serde/example/config.nix -hostname web1 -env prod
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"time"

	"github.com/govix/govix/eval"
	"github.com/govix/govix/serde"
)

// Config is what config.nix evaluates to.
type Config struct {
	Listen   string           `nix:"listen,required"`
	Workers  int              `nix:"workers"`
	Timeout  time.Duration    `nix:"timeout"`
	LogLevel string           `nix:"logLevel"`
	Sites    map[string]*Site `nix:"sites"`
}

// Site is one virtual host.
type Site struct {
	Root     string            `nix:"root,required"`
	Aliases  []string          `nix:"aliases"`
	TLS      bool              `nix:"tls"`
	Headers  map[string]string `nix:"headers"`
	MaxBody  int64             `nix:"maxBodyBytes"`
	Upstream *Upstream         `nix:"upstream"`
}

// Upstream is a backend requests are proxied to.
type Upstream struct {
	URL     string `nix:"url,required"`
	Retries int    `nix:"retries"`
}

// SetDefaults gives every site its defaults before config.nix's
// attributes are decoded.
func (s *Site) SetDefaults() {
	s.TLS = true
	s.MaxBody = 1 << 20
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		var ee *eval.Error
		if errors.As(err, &ee) {
			// Nix's own message, with the source and the trace.
			fmt.Fprintln(os.Stderr, ee.Format(false))
		} else {
			fmt.Fprintln(os.Stderr, "error:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("example", flag.ContinueOnError)
	file := fs.String("config", "config.nix", "configuration file")
	hostname := fs.String("hostname", "localhost", "host name passed to the configuration")
	env := fs.String("env", "dev", "environment passed to the configuration (dev or prod)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := Config{Workers: runtime.NumCPU(), Timeout: 30 * time.Second, LogLevel: "info"}
	err := serde.UnmarshalFile(*file, &cfg,
		serde.Arg("host", map[string]any{"name": *hostname, "cpus": runtime.NumCPU()}),
		serde.Arg("env", *env),
		serde.DisallowUnknownAttrs(),
	)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "listen %s with %d workers, timeout %s, log level %s\n", cfg.Listen, cfg.Workers, cfg.Timeout, cfg.LogLevel)
	names := make([]string, 0, len(cfg.Sites))
	for n := range cfg.Sites {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := cfg.Sites[n]
		fmt.Fprintf(out, "site %s: root %s, aliases %v, tls %v, max body %d", n, s.Root, s.Aliases, s.TLS, s.MaxBody)
		if s.Upstream != nil {
			fmt.Fprintf(out, ", proxy to %s (%d retries)", s.Upstream.URL, s.Upstream.Retries)
		}
		fmt.Fprintln(out)
	}
	return nil
}
