package nixbuild

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ulikunitz/xz"

	"github.com/govix/govix/build"
	"github.com/govix/govix/build/refscan"
	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/nar"
	"github.com/govix/govix/store"
)

// IsFetchURL reports whether the derivation uses Nix's built-in fetcher
// ("builtin:fetchurl", from <nix/fetchurl.nix>), which runs in the
// builder process rather than in a sandbox.
func (b *Build) IsFetchURL() bool { return b.Drv.Builder == "builtin:fetchurl" }

// FetchURL runs the built-in builder "builtin:fetchurl" as Nix 2.8's
// builtinFetchurl: it downloads url (TLS not verified: the fixed output's
// hash is checked when the result is registered), and stores it as a file
// (executable with executable = "1") or, with unpack = "1", as the tree
// of the NAR downloaded (xz-compressed when the URL ends in ".xz"). The
// download failing is a *build.FailedError. client may be nil.
func (b *Build) FetchURL(ctx context.Context, st *store.Store, client *http.Client, log io.Writer) (*build.Result, error) {
	if !b.IsFetchURL() {
		return nil, fmt.Errorf("'%s' is not built by builtin:fetchurl", b.dir.Print(b.DrvPath))
	}
	start := time.Now()
	env := b.Drv.Env
	u, ok := env["url"]
	if !ok {
		return nil, fmt.Errorf("attribute 'url' missing")
	}
	if len(b.Request.Outputs) != 1 {
		return nil, fmt.Errorf("builtin:fetchurl needs exactly one output")
	}
	unpack := env["unpack"] == "1"
	executable := env["executable"] == "1"
	if log != nil {
		fmt.Fprintf(log, "downloading '%s'...\n", u)
	}
	fail := func(err error) (*build.Result, error) {
		return nil, &build.FailedError{Attempts: []build.Attempt{{Error: err.Error(), Wall: time.Since(start)}}}
	}
	body, err := open(ctx, client, u, stalledDownloadTimeout)
	if err != nil {
		return fail(err)
	}
	defer body.Close()
	set, err := refscan.NewSet(b.Request.RefscanNeedles)
	if err != nil {
		return nil, err
	}
	sc := set.NewScanner()

	var narStream io.Reader
	if unpack {
		var r io.Reader = body
		if strings.HasSuffix(u, ".xz") {
			xr, err := xz.NewReader(body)
			if err != nil {
				return fail(fmt.Errorf("unable to download '%s': %w", u, err))
			}
			r = xr
		}
		narStream = r
	} else {
		// One file: its NAR is the framing around the contents, written
		// as the download streams.
		pr, pw := io.Pipe()
		go func() {
			w := nar.NewWriter(pw)
			err := writeFileNAR(w, body, executable)
			pw.CloseWithError(err)
		}()
		defer pr.Close()
		narStream = pr
	}
	res, err := store.IngestNAR(ctx, st.Blobs, st.Directories, io.TeeReader(narStream, sc), nil)
	if err != nil {
		var ne *nar.Error
		if errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fail(fmt.Errorf("unable to download '%s': %w", u, err))
		}
		return fail(err)
	}
	if unpack && executable && res.Node.Kind == castore.KindFile && !res.Node.Executable {
		return fail(fmt.Errorf("'%s' unpacked to a non-executable file", u))
	}
	return &build.Result{
		Outputs: []build.Output{{
			Node: res.Node, Needles: sc.Found(),
			HasNAR: true, NarSize: res.NarSize, NarSHA256: res.NarSHA256,
		}},
		Attempts: []build.Attempt{{Wall: time.Since(start), Host: hostname()}},
	}, nil
}

// writeFileNAR writes the NAR of one regular file read from r. The size
// must be known up front, so r is spooled to a temporary file first.
func writeFileNAR(w *nar.Writer, r io.Reader, executable bool) error {
	tmp, err := os.CreateTemp("", "govix-fetchurl-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := io.Copy(tmp, r)
	if err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := w.WriteHeader(&nar.Header{Path: "/", Type: nar.TypeRegular, Size: n, Executable: executable}); err != nil {
		return err
	}
	if _, err := io.Copy(w, tmp); err != nil {
		return err
	}
	return w.Close()
}

// open starts the download of u: http(s) or file.
// stalledDownloadTimeout is Nix's stalled-download-timeout: a download
// that receives nothing for this long fails.
const stalledDownloadTimeout = 300 * time.Second

// insecureClient downloads without verifying TLS certificates, as Nix's
// builtinFetchurl does (the fixed output's hash is what is trusted).
var insecureClient = &http.Client{Transport: &http.Transport{
	Proxy:           http.ProxyFromEnvironment,
	TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
}}

// open starts downloading u; a download that receives nothing for stall
// (waiting for the response included) fails.
func open(ctx context.Context, client *http.Client, u string, stall time.Duration) (io.ReadCloser, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return nil, fmt.Errorf("unable to download '%s': %w", u, err)
	}
	if pu.Scheme == "file" {
		f, err := os.Open(pu.Path)
		if err != nil {
			return nil, fmt.Errorf("unable to download '%s': %w", u, err)
		}
		return f, nil
	}
	if client == nil {
		client = insecureClient
	}
	ctx, cancel := context.WithCancelCause(ctx)
	stalled := fmt.Errorf("no data received for %v", stall)
	timer := time.AfterFunc(stall, func() { cancel(stalled) })
	sr := &stallReader{timer: timer, stall: stall, cancel: cancel}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		sr.Close()
		return nil, fmt.Errorf("unable to download '%s': %w", u, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		if c := context.Cause(ctx); c == stalled {
			err = c
		}
		sr.Close()
		return nil, fmt.Errorf("unable to download '%s': %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		sr.Close()
		return nil, fmt.Errorf("unable to download '%s': HTTP error %d", u, resp.StatusCode)
	}
	sr.body, sr.ctx = resp.Body, ctx
	return sr, nil
}

// stallReader reads a download, restarting the stall timer whenever data
// comes.
type stallReader struct {
	body   io.ReadCloser
	ctx    context.Context
	timer  *time.Timer
	stall  time.Duration
	cancel context.CancelCauseFunc
}

func (r *stallReader) Read(p []byte) (int, error) {
	n, err := r.body.Read(p)
	if n > 0 {
		r.timer.Reset(r.stall)
	}
	if err != nil && err != io.EOF {
		if c := context.Cause(r.ctx); c != nil && !errors.Is(c, context.Canceled) {
			err = c
		}
	}
	return n, err
}

func (r *stallReader) Close() error {
	r.timer.Stop()
	r.cancel(nil)
	if r.body != nil {
		return r.body.Close()
	}
	return nil
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
