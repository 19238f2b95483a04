package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestExample(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-config", "config.nix", "-hostname", "web1", "-env", "prod"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"listen 0.0.0.0:443 with ",
		"timeout 1m0s, log level warn\n",
		"site api.example.org: root /srv/api, aliases [], tls true, max body 16777216, proxy to http://web1:9000 (3 retries)\n",
		"site example.org: root /srv/example.org, aliases [www.example.org], tls true, max body 1048576\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "test.local") {
		t.Errorf("prod has test.local:\n%s", out.String())
	}
}

func TestExampleError(t *testing.T) {
	dir := t.TempDir()
	bad := dir + "/bad.nix"
	os.WriteFile(bad, []byte("{ host, ... }: {\n  listen = \"x\";\n  sites.a = { root = \"/\"; tsl = true; };\n}\n"), 0o644)
	err := run([]string{"-config", bad}, &bytes.Buffer{})
	if err == nil || err.Error() != bad+":3:27: sites.a: unknown attribute 'tsl'; did you mean 'tls'?" {
		t.Errorf("error: %v", err)
	}
}
