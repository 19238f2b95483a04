package backend_test

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/backend"
	"github.com/govix/govix/castore/castoretest"
)

func TestConformanceByURL(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"memory", func(*testing.T) string { return "memory://" }},
		{"local", func(t *testing.T) string { return "local://" + t.TempDir() }},
		{"path", func(t *testing.T) string { return t.TempDir() }},
		{"cache", func(t *testing.T) string {
			return "cache://?near=memory://&far=" + url.QueryEscape("local://"+t.TempDir())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			castoretest.Run(t, func(t *testing.T) *castore.Store {
				s, err := backend.Open(t.Context(), tc.url(t))
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

func TestBadURLs(t *testing.T) {
	for _, u := range []string{
		"nosuch://x",
		"memory://host",
		"memory://?x=1",
		"local://",
		"local:///tmp/x?y=1",
		"cache://?near=memory://",
		"cache://?near=memory://&far=nosuch://",
		"cache://?near=memory://&far=memory://&extra=1",
		"%zz://",
	} {
		s, err := backend.Open(t.Context(), u)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", u)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"local:///var/lib/govix": "/var/lib/govix",
		"local://rel/dir":        "rel/dir",
		"local:rel/dir":          "rel/dir",
		"local://./x":            "./x",
	} {
		u, _ := url.Parse(in)
		got, err := backend.LocalPath(u)
		if err != nil || filepath.Clean(got) != filepath.Clean(want) {
			t.Errorf("LocalPath(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := backend.LocalPath(&url.URL{Scheme: "local"}); err == nil || !strings.Contains(err.Error(), "no path") {
		t.Errorf("empty local URL: %v", err)
	}
}

func TestIsLocal(t *testing.T) {
	for in, want := range map[string]string{"/x/y": "/x/y", "local:///a": "/a", "memory://": "", "cache://?near=local:///a&far=memory://": ""} {
		dir, ok, err := backend.IsLocal(in)
		if err != nil || ok != (want != "") || dir != want {
			t.Errorf("IsLocal(%q) = %q, %v, %v", in, dir, ok, err)
		}
	}
}
