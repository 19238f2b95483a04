package narbridge

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/govix/govix/nixcompat/nixbase32"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/internal/compression"
)

// splitNARName splits "BASE.nar[.EXT]" into BASE and the compression.
func splitNARName(name string) (base, comp string, ok bool) {
	i := strings.Index(name, ".nar")
	if i <= 0 {
		return "", "", false
	}
	comp, ok = compression.FromExtension(name[i+4:])
	return name[:i], comp, ok
}

func (s *Server) getNAR(w http.ResponseWriter, r *http.Request, name string) {
	base, comp, ok := splitNARName(name)
	if !ok {
		http.NotFound(w, r)
		return
	}
	var info *store.PathInfo
	if hashPart, narHash, ok := strings.Cut(base, "-"); ok {
		// nar/<path hash>-<NAR hash>.nar, as our narinfo says.
		info, ok = s.lookup(w, r, hashPart)
		if !ok {
			return
		}
		if nixbase32.EncodeToString(info.NarSHA256[:]) != narHash {
			http.NotFound(w, r) // the path's contents changed since
			return
		}
	} else if up, ok := s.getUpload("nar/" + name); ok {
		// A NAR uploaded under this name. Nix asks (HEAD) before
		// uploading whether it is there already, and the uploader's
		// Nix remembers the narinfo it sent, so it fetches this name
		// later: serve it in the compression the name says (the
		// uploaded file itself is not kept, only its contents).
		info = &store.PathInfo{Node: up.res.Node, NarSize: up.res.NarSize, NarSHA256: up.res.NarSHA256}
	} else {
		http.NotFound(w, r)
		return
	}

	w.Header().Set("Cache-Control", "max-age=31536000, immutable")
	if comp == "none" {
		s.serveNAR(w, r, info)
		return
	}
	s.serveCompressed(w, r, info, comp)
}

// serveNAR serves the uncompressed NAR with range requests.
func (s *Server) serveNAR(w http.ResponseWriter, r *http.Request, info *store.PathInfo) {
	w.Header().Set("Content-Type", "application/x-nix-nar")
	w.Header().Set("ETag", `"`+nixbase32.EncodeToString(info.NarSHA256[:])+`"`)
	if r.Method == http.MethodHead {
		// Answer from the PathInfo, without touching the castore.
		w.Header().Set("Content-Length", fmt.Sprint(info.NarSize))
		w.Header().Set("Accept-Ranges", "bytes")
		return
	}
	nr, err := s.st.ServeNAR(r.Context(), info.Node)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	defer nr.Close()
	if uint64(nr.Size()) != info.NarSize {
		s.fail(w, r, http.StatusInternalServerError, fmt.Errorf("%w: NAR of %s renders to %d bytes, not %d", store.ErrCorrupt, info.StorePath, nr.Size(), info.NarSize))
		return
	}
	if r.Header.Get("Range") != "" {
		http.ServeContent(w, r, "", time.Time{}, nr)
		return
	}
	// A whole NAR: written with read-ahead, several blobs at a time.
	w.Header().Set("Accept-Ranges", "bytes")
	w.Header().Set("Content-Length", fmt.Sprint(nr.Size()))
	if _, err := nr.WriteTo(w); err != nil {
		s.log.Warn("nar-bridge: serving NAR", "path", r.URL.Path, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// serveCompressed compresses the NAR on the fly (no length, no ranges).
func (s *Server) serveCompressed(w http.ResponseWriter, r *http.Request, info *store.PathInfo, comp string) {
	if comp == "bzip2" {
		http.NotFound(w, r) // nothing here writes bzip2
		return
	}
	w.Header().Set("Content-Type", "application/x-nix-nar")
	if r.Method == http.MethodHead {
		return
	}
	nr, err := s.st.ServeNAR(r.Context(), info.Node)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	defer nr.Close()
	cw, err := compression.NewWriter(comp, w)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	if _, err := io.Copy(cw, nr); err != nil {
		// Headers are gone: all that can be done is to cut the
		// response short, which the client notices.
		s.log.Warn("nar-bridge: serving NAR", "path", r.URL.Path, "err", err)
		panic(http.ErrAbortHandler)
	}
	if err := cw.Close(); err != nil {
		panic(http.ErrAbortHandler)
	}
}

// lockName serialises work on one upload name.
func (s *Server) lockName(name string) func() {
	s.mu.Lock()
	m, ok := s.uploading[name]
	if !ok {
		m = &sync.Mutex{}
		s.uploading[name] = m
	}
	s.mu.Unlock()
	m.Lock()
	return func() {
		m.Unlock()
		s.mu.Lock()
		// Forget the lock when nobody else waits for it. TryLock
		// succeeds only if no one holds it.
		if m.TryLock() {
			if s.uploading[name] == m {
				delete(s.uploading, name)
			}
			m.Unlock()
		}
		s.mu.Unlock()
	}
}

func (s *Server) putNAR(w http.ResponseWriter, r *http.Request, name string) {
	if s.refuseWrite(w, r) {
		return
	}
	base, comp, ok := splitNARName(name)
	if !ok {
		s.fail(w, r, http.StatusBadRequest, fmt.Errorf("nar/%s: want nar/HASH.nar with .xz, .zst or .bz2 or nothing after it", name))
		return
	}
	// Nix names an uploaded NAR by the sha256 of the file (FileHash).
	var wantFileHash []byte
	if len(base) == nixbase32.EncodedLen(sha256.Size) {
		if h, err := nixbase32.DecodeString(base); err == nil {
			wantFileHash = h
		}
	}
	key := "nar/" + name
	unlock := s.lockName(key)
	defer unlock()
	if _, ok := s.getUpload(key); ok {
		// Sent before (and verified): take the bytes and be done.
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
		return
	}

	// An uncompressed file is the NAR, whose hash ingestion computes.
	fh := &fileHasher{r: r.Body}
	if comp != "none" {
		fh.h = sha256.New()
	}
	dec, err := compression.NewReader(comp, fh)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, fmt.Errorf("nar/%s: %w", name, err))
		return
	}
	res, err := store.IngestNAR(r.Context(), s.st.Blobs, s.st.Directories, dec, nil)
	dec.Close()
	if err == nil {
		// Whatever follows the compressed NAR is part of the file.
		_, err = io.Copy(io.Discard, fh)
	}
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, fmt.Errorf("nar/%s: %w", name, err))
		return
	}
	up := upload{res: res, fileSize: fh.n, at: time.Now(), fileHash: res.NarSHA256}
	if fh.h != nil {
		fh.h.Sum(up.fileHash[:0])
	}
	if wantFileHash != nil && string(wantFileHash) != string(up.fileHash[:]) {
		s.fail(w, r, http.StatusBadRequest, fmt.Errorf("nar/%s: the file's sha256 is %s", name, nixbase32.EncodeToString(up.fileHash[:])))
		return
	}
	if err := s.addUpload(key, up); err != nil {
		s.fail(w, r, http.StatusInternalServerError, fmt.Errorf("nar/%s: remembering the upload: %w", name, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// fileHasher hashes and counts the bytes of an uploaded file.
type fileHasher struct {
	r io.Reader
	h hash.Hash
	n uint64
}

func (f *fileHasher) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if f.h != nil {
		f.h.Write(p[:n])
	}
	f.n += uint64(n)
	return n, err
}
