package objectstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/objectstore"
	"github.com/govix/govix/internal/testutil"
)

// s3Server is a versitygw instance on a loopback port, with a posix
// backend in a temporary directory and random root credentials.
type s3Server struct {
	endpoint, keyID, secret string
	client                  *s3.Client
}

// versitygw finds the versitygw binary: on PATH, or where scripts/setup.sh
// installs it (go install's bin directory). It skips the test when it is
// missing, or fails it under CI.
func versitygw(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		dirs := []string{lines[0]}
		if len(lines) > 1 {
			dirs = append(dirs, filepath.Join(strings.Split(lines[1], string(os.PathListSeparator))[0], "bin"))
		}
		for _, d := range dirs {
			if p := filepath.Join(d, "versitygw"); d != "" && isExecutable(p) {
				return p
			}
		}
	}
	return testutil.RequireCommand(t, "versitygw") // skips, or fails under CI
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// startS3 starts versitygw for the test and waits until it answers.
func startS3(t testing.TB) *s3Server {
	t.Helper()
	bin := versitygw(t)
	root := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &s3Server{endpoint: "http://" + addr, keyID: "AK" + randomHex(8), secret: randomHex(20)}
	cmd := exec.Command(bin, "--access", s.keyID, "--secret", s.secret, "--port", addr, "--keep-alive", "--quiet", "posix", root)
	// The server dies with the test process, even one that is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting versitygw: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	s.client = s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.keyID, s.secret, ""),
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := s.client.ListBuckets(ctx, &s3.ListBucketsInput{})
		cancel()
		if err == nil {
			return s
		}
		select {
		case werr := <-exited:
			t.Fatalf("versitygw exited (%v): %s", werr, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not answer within 30s: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// bucket creates a new bucket and returns the store URL for it (with the
// credentials as parameters when inURL, else through the environment).
func (s *s3Server) bucket(t testing.TB, prefix string) string {
	t.Helper()
	name := "castore-" + randomHex(6)
	if _, err := s.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	q := url.Values{"endpoint": {s.endpoint}, "access_key_id": {s.keyID}, "secret_access_key": {s.secret}}
	return fmt.Sprintf("objectstore+s3://%s%s?%s", name, prefix, q.Encode())
}

func TestConformanceS3(t *testing.T) {
	srv := startS3(t)
	castoretest.Run(t, func(t *testing.T) *castore.Store {
		return openURL(t, srv.bucket(t, "/some/prefix"))
	})
}

// TestS3Credentials: credentials from the standard environment variables
// work, and wrong ones are refused with a clear error.
func TestS3Credentials(t *testing.T) {
	srv := startS3(t)
	u, _ := url.Parse(srv.bucket(t, ""))
	q := u.Query()
	q.Del("access_key_id")
	q.Del("secret_access_key")
	u.RawQuery = q.Encode()

	t.Setenv("AWS_ACCESS_KEY_ID", srv.keyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.secret)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	s := openURL(t, u.String())
	d, _, err := s.Blobs.Put(t.Context(), bytes.NewReader([]byte("via the environment")))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	s2, err := objectstore.Open(t.Context(), u)
	if err == nil {
		_, err = s2.Blobs.Has(t.Context(), d)
		s2.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Errorf("wrong secret: error %v, want the server's refusal", err)
	}
}

// TestS3MissingBucket: a clear error, not a created bucket.
func TestS3MissingBucket(t *testing.T) {
	srv := startS3(t)
	u, _ := url.Parse(srv.bucket(t, ""))
	u.Host = "no-such-bucket"
	_, err := objectstore.Open(t.Context(), u)
	if err == nil || !strings.Contains(err.Error(), "the bucket does not exist") {
		t.Errorf("error %v, want one saying the bucket does not exist", err)
	}
}

// TestConformanceExternal runs the suite against an object store of your
// own, each test under a fresh prefix, when GOVIX_TEST_OBJECTSTORE names
// it, e.g. objectstore+s3://castore?endpoint=http://127.0.0.1:8333 for a
// SeaweedFS (credentials from AWS_* variables).
func TestConformanceExternal(t *testing.T) {
	raw := os.Getenv("GOVIX_TEST_OBJECTSTORE")
	if raw == "" {
		t.Skip("GOVIX_TEST_OBJECTSTORE is not set")
	}
	run := randomHex(4)
	n := 0
	castoretest.Run(t, func(t *testing.T) *castore.Store {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		n++
		u.Path = fmt.Sprintf("%s/govix-test-%s/%d", strings.TrimSuffix(u.Path, "/"), run, n)
		return openURL(t, u.String())
	})
}
