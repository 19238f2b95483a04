package narbridge_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govix/govix/nixcompat/nar"
	"github.com/govix/govix/nixcompat/narinfo"
	"github.com/govix/govix/nixcompat/nixbase32"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store/local"
	"github.com/govix/govix/store/narbridge"
)

// makeNAR returns the NAR of a random tree: a directory of a few files of
// random sizes (some above the chunking threshold), shared content mixed in
// so that uploads overlap.
func makeNAR(t testing.TB, rng *rand.Rand) []byte {
	t.Helper()
	var b bytes.Buffer
	w := nar.NewWriter(&b)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteHeader(&nar.Header{Path: "/", Type: nar.TypeDirectory}))
	n := 1 + rng.IntN(6)
	for i := range n {
		size := rng.IntN(64 << 10)
		if rng.IntN(8) == 0 {
			size = 256<<10 + rng.IntN(1<<20)
		}
		data := make([]byte, size)
		if rng.IntN(2) == 0 {
			for j := range data {
				data[j] = byte(j * 7) // shared between uploads
			}
		} else {
			for j := range data {
				data[j] = byte(rng.Uint32())
			}
		}
		must(w.WriteHeader(&nar.Header{Path: fmt.Sprintf("/f%02d", i), Type: nar.TypeRegular, Size: int64(size), Executable: i%3 == 0}))
		_, err := w.Write(data)
		must(err)
	}
	must(w.Close())
	return b.Bytes()
}

// fakePath names a NAR as a store path.
func fakePath(rng *rand.Rand, i int) storepath.StorePath {
	var d [storepath.DigestSize]byte
	for j := range d {
		d[j] = byte(rng.Uint32())
	}
	p, _ := storepath.New(d, fmt.Sprintf("load-%d", i))
	return p
}

func do(c *http.Client, method, url string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// upload sends a NAR and its narinfo as nix copy does.
func upload(c *http.Client, base string, sp storepath.StorePath, data []byte) error {
	sum := sha256.Sum256(data)
	h, _ := nixhash.New(nixhash.SHA256, sum[:])
	url := "nar/" + nixbase32.EncodeToString(sum[:]) + ".nar"
	if code, body, err := do(c, http.MethodPut, base+"/"+url, data); err != nil || code/100 != 2 {
		return fmt.Errorf("PUT %s: %d %s %v", url, code, body, err)
	}
	ni := &narinfo.NarInfo{StoreDir: storepath.DefaultStoreDir, StorePath: sp, URL: url, Compression: "none",
		FileHash: h, FileSize: uint64(len(data)), NarHash: h, NarSize: uint64(len(data))}
	if code, body, err := do(c, http.MethodPut, base+"/"+sp.HashPart()+".narinfo", []byte(ni.String())); err != nil || code/100 != 2 {
		return fmt.Errorf("PUT narinfo: %d %s %v", code, body, err)
	}
	return nil
}

// fetch gets a path's narinfo and NAR, checking the NAR against it.
func fetch(c *http.Client, base string, sp storepath.StorePath, want [32]byte) error {
	code, body, err := do(c, http.MethodGet, base+"/"+sp.HashPart()+".narinfo", nil)
	if err != nil || code != 200 {
		return fmt.Errorf("GET narinfo of %s: %d %v", sp, code, err)
	}
	ni, err := narinfo.Parse("", string(body))
	if err != nil {
		return err
	}
	code, data, err := do(c, http.MethodGet, base+"/"+ni.URL, nil)
	if err != nil || code != 200 {
		return fmt.Errorf("GET %s: %d %v", ni.URL, code, err)
	}
	if sha256.Sum256(data) != want || uint64(len(data)) != ni.NarSize {
		return fmt.Errorf("%s: NAR does not match", sp)
	}
	return nil
}

// TestLoad: 50 clients upload and fetch at once through one bridge on an
// embedded store, for a few seconds (30 with GOVIX_SOAK=1): no errors,
// every uploaded path comes back intact, and memory stays bounded.
func TestLoad(t *testing.T) {
	duration := 3 * time.Second
	if os.Getenv("GOVIX_SOAK") != "" {
		duration = 30 * time.Second
	}
	if testing.Short() {
		duration = time.Second
	}
	st, err := local.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := httptest.NewServer(narbridge.New(st, nil))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	type entry struct {
		sp  storepath.StorePath
		sum [32]byte
	}
	var mu sync.Mutex
	var uploaded []entry
	var ups, gets atomic.Int64
	var peak atomic.Uint64
	stop := time.Now().Add(duration)
	errs := make(chan error, 50)
	var wg sync.WaitGroup
	sampleDone := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-sampleDone:
				return
			case <-time.After(50 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	for c := range 50 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 99))
			for i := 0; time.Now().Before(stop); i++ {
				if c%2 == 0 || i == 0 {
					data := makeNAR(t, rng)
					sp := fakePath(rng, i)
					if err := upload(client, srv.URL, sp, data); err != nil {
						errs <- err
						return
					}
					mu.Lock()
					uploaded = append(uploaded, entry{sp, sha256.Sum256(data)})
					mu.Unlock()
					ups.Add(1)
				}
				mu.Lock()
				e := uploaded[rng.IntN(len(uploaded))]
				mu.Unlock()
				if err := fetch(client, srv.URL, e.sp, e.sum); err != nil {
					errs <- err
					return
				}
				gets.Add(1)
			}
		})
	}
	wg.Wait()
	close(sampleDone)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Nothing lost: every upload is there, intact.
	for _, e := range uploaded {
		if err := fetch(client, srv.URL, e.sp, e.sum); err != nil {
			t.Errorf("after the run: %v", err)
		}
	}
	t.Logf("%s: %d uploads, %d fetches by 50 clients; peak heap in use %d MiB", duration, ups.Load(), gets.Load(), peak.Load()>>20)
	// Memory is bounded by what is in flight (50 requests of at most a few
	// MiB each, plus the store's write batches), not by what went through.
	if p := peak.Load(); p > 1<<30 {
		t.Errorf("peak heap in use %d MiB", p>>20)
	}
}
