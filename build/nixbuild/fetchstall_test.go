package nixbuild

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestDownloadStalls: a download that stops sending fails after the stall
// timeout (Nix's stalled-download-timeout), whether it stalls before the
// response or in the middle of the body; one that keeps sending does not.
func TestDownloadStalls(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/silent":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/half":
			w.Write([]byte("first half"))
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/slow":
			// Slower than the stall timeout in all, never silent for it.
			for range 6 {
				w.Write([]byte("x"))
				w.(http.Flusher).Flush()
				time.Sleep(100 * time.Millisecond)
			}
		}
	}))
	defer srv.Close()
	const stall = 300 * time.Millisecond
	for _, tc := range []struct {
		path    string
		wantErr string
	}{
		{"/silent", "no data received for 300ms"},
		{"/half", "no data received for 300ms"},
		{"/slow", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			body, err := open(context.Background(), nil, srv.URL+tc.path, stall)
			if err == nil {
				_, err = io.ReadAll(body)
				body.Close()
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("failed: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("got %v, want an error saying %q", err, tc.wantErr)
			}
		})
	}
}
