package narbridge

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/govix/govix/nixcompat/narinfo"
	"github.com/govix/govix/nixcompat/nixbase32"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// maxNarInfoSize bounds an uploaded narinfo.
const maxNarInfoSize = 1 << 20

// parseHashPart decodes a store path hash part (32 nix32 characters).
func parseHashPart(s string) ([storepath.DigestSize]byte, bool) {
	var d [storepath.DigestSize]byte
	if len(s) != storepath.EncodedDigestLen {
		return d, false
	}
	b, err := nixbase32.DecodeString(s)
	if err != nil || len(b) != storepath.DigestSize {
		return d, false
	}
	return [storepath.DigestSize]byte(b), true
}

// narURL is where the server publishes the NAR of info.
func narURL(info *store.PathInfo) string {
	return "nar/" + info.StorePath.HashPart() + "-" + nixbase32.EncodeToString(info.NarSHA256[:]) + ".nar"
}

// lookup finds the PathInfo of a hash part, answering 404 or 500 itself
// when there is none.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request, hashPart string) (*store.PathInfo, bool) {
	d, ok := parseHashPart(hashPart)
	if !ok {
		http.NotFound(w, r)
		return nil, false
	}
	info, err := s.st.PathInfo.Get(r.Context(), d)
	switch {
	case errors.Is(err, store.ErrNotFound):
		http.NotFound(w, r)
		return nil, false
	case err != nil:
		s.fail(w, r, http.StatusInternalServerError, err)
		return nil, false
	}
	return info, true
}

func (s *Server) getNarInfo(w http.ResponseWriter, r *http.Request, hashPart string) {
	info, ok := s.lookup(w, r, hashPart)
	if !ok {
		return
	}
	ni := info.NarInfo(s.dir, narURL(info))
	for _, k := range s.opts.SigningKeys {
		if err := ni.Sign(k); err != nil {
			s.fail(w, r, http.StatusInternalServerError, fmt.Errorf("signing %s: %w", info.StorePath, err))
			return
		}
	}
	body := ni.String()
	w.Header().Set("Content-Type", "text/x-nix-narinfo")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	io.WriteString(w, body)
}

func (s *Server) putNarInfo(w http.ResponseWriter, r *http.Request, hashPart string) {
	if s.refuseWrite(w, r) {
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxNarInfoSize+1))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, fmt.Errorf("reading narinfo: %w", err))
		return
	}
	if len(data) > maxNarInfoSize {
		s.fail(w, r, http.StatusRequestEntityTooLarge, errors.New("narinfo too large"))
		return
	}
	ni, err := narinfo.Parse(s.dir, string(data))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	if ni.StorePath.HashPart() != hashPart {
		s.fail(w, r, http.StatusBadRequest, fmt.Errorf("narinfo of %s uploaded as %s.narinfo", ni.StorePath, hashPart))
		return
	}
	if ni.NarHash.Algorithm() != nixhash.SHA256 {
		s.fail(w, r, http.StatusBadRequest, fmt.Errorf("narinfo of %s: NarHash is not sha256", ni.StorePath))
		return
	}
	narSHA := [32]byte(ni.NarHash.Digest())

	var info *store.PathInfo
	if up, ok := s.getUpload(ni.URL); ok {
		if err := checkUpload(ni, up); err != nil {
			s.fail(w, r, http.StatusBadRequest, err)
			return
		}
		info, err = store.FromNarInfo(ni, up.res.Node)
	} else {
		// The NAR may be here already: a re-upload of a known path
		// (Nix skips the NAR when HEAD finds it).
		old, gerr := s.st.PathInfo.Get(r.Context(), ni.StorePath.Digest)
		if gerr != nil || old.NarSHA256 != narSHA || old.NarSize != ni.NarSize {
			s.fail(w, r, http.StatusBadRequest, fmt.Errorf("narinfo of %s names %s, which was not uploaded", ni.StorePath, ni.URL))
			return
		}
		info, err = store.FromNarInfo(ni, old.Node)
		if err == nil {
			info.Signatures = append(info.Signatures, old.Signatures...)
			info.Normalize()
		}
	}
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	if _, err := s.st.PathInfo.Put(r.Context(), info); err != nil {
		s.fail(w, r, http.StatusInternalServerError, fmt.Errorf("storing %s: %w", info.StorePath, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkUpload checks that a narinfo describes the NAR that was uploaded.
func checkUpload(ni *narinfo.NarInfo, up upload) error {
	if [32]byte(ni.NarHash.Digest()) != up.res.NarSHA256 {
		return fmt.Errorf("narinfo of %s: NarHash %s, but the NAR uploaded as %s has sha256:%s",
			ni.StorePath, ni.NarHash.Format(nixhash.Nix32, true), ni.URL, nixbase32.EncodeToString(up.res.NarSHA256[:]))
	}
	if ni.NarSize != up.res.NarSize {
		return fmt.Errorf("narinfo of %s: NarSize %d, but the NAR uploaded as %s has %d bytes", ni.StorePath, ni.NarSize, ni.URL, up.res.NarSize)
	}
	if !ni.FileHash.IsZero() && (ni.FileHash.Algorithm() != nixhash.SHA256 || !slices.Equal(ni.FileHash.Digest(), up.fileHash[:])) {
		return fmt.Errorf("narinfo of %s: FileHash %s does not match the file uploaded as %s", ni.StorePath, ni.FileHash.Format(nixhash.Nix32, true), ni.URL)
	}
	if ni.FileSize != 0 && ni.FileSize != up.fileSize {
		return fmt.Errorf("narinfo of %s: FileSize %d, but %s has %d bytes", ni.StorePath, ni.FileSize, ni.URL, up.fileSize)
	}
	return nil
}

func (s *Server) getListing(w http.ResponseWriter, r *http.Request, hashPart string) {
	info, ok := s.lookup(w, r, hashPart)
	if !ok {
		return
	}
	l, err := store.Listing(r.Context(), s.st.Directories, info.Node)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	body, err := l.MarshalJSON()
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}
