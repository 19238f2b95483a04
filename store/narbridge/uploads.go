package narbridge

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castorepb"
	"github.com/govix/govix/store"
)

// UploadIndex keeps the names NARs were uploaded under
// (nar/FILEHASH.nar.xz, ...) and what each holds, beyond a restart: the
// uploading Nix caches the narinfo it sent and fetches that URL later.
// The embedded store's key-value map (castore/local.KV) is one.
type UploadIndex interface {
	// Get returns the record stored under name, or nil.
	Get(name []byte) []byte
	// Put stores record under name.
	Put(name, record []byte) error
}

// recordVersion heads an upload record.
const recordVersion = 1

// encodeUpload is the record of an upload: version, NAR sha256, file
// sha256, NAR size, file size, upload time (unix seconds), and the root
// node as a tvix.castore.v1.Node.
func encodeUpload(up upload) ([]byte, error) {
	node, err := proto.MarshalOptions{Deterministic: true}.Marshal(castore.NodeToProto("x", up.res.Node))
	if err != nil {
		return nil, err
	}
	b := []byte{recordVersion}
	b = append(b, up.res.NarSHA256[:]...)
	b = append(b, up.fileHash[:]...)
	b = binary.AppendUvarint(b, up.res.NarSize)
	b = binary.AppendUvarint(b, up.fileSize)
	b = binary.AppendVarint(b, up.at.Unix())
	return append(b, node...), nil
}

func decodeUpload(b []byte) (upload, error) {
	var up upload
	bad := errors.New("narbridge: damaged upload record")
	if len(b) < 1+64 || b[0] != recordVersion {
		return up, bad
	}
	res := &store.IngestResult{}
	copy(res.NarSHA256[:], b[1:33])
	copy(up.fileHash[:], b[33:65])
	b = b[65:]
	var n int
	if res.NarSize, n = binary.Uvarint(b); n <= 0 {
		return up, bad
	}
	b = b[n:]
	if up.fileSize, n = binary.Uvarint(b); n <= 0 {
		return up, bad
	}
	b = b[n:]
	at, n := binary.Varint(b)
	if n <= 0 {
		return up, bad
	}
	up.at = time.Unix(at, 0)
	var pn castorepb.Node
	if err := proto.Unmarshal(b[n:], &pn); err != nil {
		return up, fmt.Errorf("%w: %w", bad, err)
	}
	_, node, err := castore.NodeFromProto(&pn)
	if err != nil {
		return up, fmt.Errorf("%w: %w", bad, err)
	}
	res.Node = node
	up.res = res
	return up, nil
}

// getUpload finds what was uploaded as name: in memory, else in the
// index (and then remembered in memory).
func (s *Server) getUpload(name string) (upload, bool) {
	if up, ok := s.pending.Get(name); ok {
		return up, true
	}
	if s.opts.Uploads == nil {
		return upload{}, false
	}
	rec := s.opts.Uploads.Get([]byte(name))
	if rec == nil {
		return upload{}, false
	}
	up, err := decodeUpload(rec)
	if err != nil {
		s.log.Warn("nar-bridge", "upload", name, "err", err)
		return upload{}, false
	}
	s.pending.Add(name, up)
	return up, true
}

// addUpload remembers what was uploaded as name.
func (s *Server) addUpload(name string, up upload) error {
	s.pending.Add(name, up)
	if s.opts.Uploads == nil {
		return nil
	}
	rec, err := encodeUpload(up)
	if err != nil {
		return err
	}
	return s.opts.Uploads.Put([]byte(name), rec)
}

// Credentials are what an upload must present when set: a bearer token
// (Authorization: Bearer TOKEN) or a user and password (HTTP basic auth,
// which Nix sends from its netrc-file). Either matching is enough.
type Credentials struct {
	BearerToken    string
	User, Password string
}

// ParseCredentials reads credentials from the text of a file: "Bearer
// TOKEN" or "USER:PASSWORD", one per line (blank lines and # comments
// skipped).
func ParseCredentials(text string) ([]Credentials, error) {
	var out []Credentials
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if tok, ok := strings.CutPrefix(line, "Bearer "); ok && strings.TrimSpace(tok) != "" {
			out = append(out, Credentials{BearerToken: strings.TrimSpace(tok)})
			continue
		}
		user, pass, ok := strings.Cut(line, ":")
		if !ok || user == "" || pass == "" {
			return nil, fmt.Errorf("line %d: want \"Bearer TOKEN\" or \"USER:PASSWORD\"", i+1)
		}
		out = append(out, Credentials{User: user, Password: pass})
	}
	if len(out) == 0 {
		return nil, errors.New("no credentials")
	}
	return out, nil
}

// authorized reports whether r may write: always when no credentials are
// configured, else when it presents one of them.
func (s *Server) authorized(r *http.Request) bool {
	if len(s.opts.UploadCredentials) == 0 {
		return true
	}
	auth := r.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(auth, " ")
	for _, c := range s.opts.UploadCredentials {
		switch {
		case c.BearerToken != "" && strings.EqualFold(scheme, "Bearer"):
			if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(rest)), []byte(c.BearerToken)) == 1 {
				return true
			}
		case c.User != "" && strings.EqualFold(scheme, "Basic"):
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
			if err != nil {
				continue
			}
			want := []byte(c.User + ":" + c.Password)
			if subtle.ConstantTimeCompare(b, want) == 1 {
				return true
			}
		}
	}
	return false
}

// refuseWrite answers a write that is not allowed, reporting whether it
// did.
func (s *Server) refuseWrite(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.ReadOnly {
		s.fail(w, r, http.StatusForbidden, errors.New("read-only cache"))
		return true
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="nar-bridge uploads"`)
		s.fail(w, r, http.StatusUnauthorized, errors.New("uploads need credentials"))
		return true
	}
	return false
}
