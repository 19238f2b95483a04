package graph

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/govix/govix/build"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
)

// TestOutputsCheckedAsNix builds outputs that Nix 2.8 refuses or
// canonicalises when it registers them, with nix-build and with govix:
// the same refusals with the same messages (Nix names its chroot's copy
// of the output, govix the path in the sandbox), and where Nix accepts an
// output with odd permissions, modes and times, the same NAR hash.
func TestOutputsCheckedAsNix(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	expr := fmt.Sprintf(`
let
  bb = builtins.path { path = %s; name = "busybox"; };
  sh = "${bb}/busybox";
  mk = name: s: derivation { inherit name; system = "x86_64-linux"; builder = sh; args = [ "sh" "-c" s ]; };
in {
  world = mk "world" "echo > $out; ${sh} chmod 666 $out";
  group = mk "group" "${sh} mkdir $out; ${sh} chmod 775 $out";
  fifo = mk "fifo" "${sh} mkdir -p $out/d; ${sh} mkfifo $out/d/p";
  missing = mk "missing" "echo no output";
  odd = mk "odd" "set -e; ${sh} mkdir $out; echo > $out/f; ${sh} chmod 4777 $out/f || true; ${sh} mkdir $out/d; ${sh} chmod 777 $out/d; echo x > $out/d/x; ${sh} chmod 700 $out/d/x; ${sh} ln -s f $out/l; ${sh} touch -d 2001-01-01 $out/f; ${sh} chmod 0 $out/d; ${sh} chmod 711 $out";
  link = mk "link" "${sh} ln -s /nowhere $out";
}`, f.bbdir)
	chroot := regexp.MustCompile(`'` + regexp.QuoteMeta(f.nixStore) + `/nix/store/[^/']+\.drv\.chroot`)
	for _, tc := range []struct {
		attr   string
		refuse string // what Nix says, "" for an output it accepts
	}{
		{"world", "suspicious ownership or permission on"},
		{"group", "suspicious ownership or permission on"},
		{"fifo", "has an unsupported type"},
		{"missing", "failed to produce output path"},
		{"odd", ""},
		{"link", ""},
	} {
		t.Run(tc.attr, func(t *testing.T) {
			drvs := f.instantiate(t, expr+" ."+tc.attr)
			nixOut, nixErr := f.nix(t, "nix-build", "-E", expr+" ."+tc.attr)
			report, err := f.builder(Options{}).Build(ctx, []Target{{Drv: drvs[0]}}, false)
			if tc.refuse != "" {
				if nixErr == nil {
					t.Fatalf("nix-build accepted the output")
				}
				var want string
				for _, l := range strings.Split(nixOut, "\n") {
					if strings.HasPrefix(l, "error: ") {
						want = chroot.ReplaceAllString(strings.TrimPrefix(l, "error: "), "'")
					}
				}
				if !strings.Contains(want, tc.refuse) {
					t.Fatalf("nix-build said %q", nixOut)
				}
				if !errors.Is(err, ErrFailed) || len(report.Failures) != 1 {
					t.Fatalf("govix: %v", err)
				}
				got := report.Failures[0].Err
				if got.Error() != want {
					t.Errorf("govix: %s\nnix:   %s", got, want)
				}
				var be *BuilderError
				if !errors.As(got, &be) || !be.Failed.Last().OutputsFailed() {
					t.Errorf("govix: the failure is not the outputs' own: %#v", got)
				}
				return
			}
			if nixErr != nil {
				t.Fatal(nixErr)
			}
			if err != nil {
				t.Fatal(err)
			}
			p, _ := storepath.DefaultStoreDir.Parse(strings.TrimSpace(nixOut))
			info, err := f.st.PathInfo.Get(ctx, p.Digest)
			if err != nil {
				t.Fatal(err)
			}
			hash, err := f.nix(t, "nix-store", "-q", "--hash", strings.TrimSpace(nixOut))
			if err != nil {
				t.Fatal(err)
			}
			want, err := nixhash.ParseAny(strings.TrimSpace(hash), nixhash.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if got := info.NarHash(); got.SRI() != want.SRI() {
				t.Errorf("NAR hash %s, nix-build's %s", got.SRI(), want.SRI())
				f.showDiff(t, strings.TrimSpace(nixOut), info)
			}
		})
	}
}

// The refusals survive the trip over the wire.
func TestRejectionProto(t *testing.T) {
	a := []build.Attempt{{Rejected: build.RejectUnsupportedType, RejectedPath: "/nix/store/x/p"}}
	back := build.AttemptsFromProto(build.AttemptsToProto(a))
	if back[0].Rejected != a[0].Rejected || back[0].RejectedPath != a[0].RejectedPath || !back[0].OutputsFailed() {
		t.Errorf("round trip: %+v", back)
	}
}
