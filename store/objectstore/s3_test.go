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
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/govix/govix/internal/testutil"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/backend"
	"github.com/govix/govix/store/pathinfotest"
)

// versitygw finds the S3 server scripts/setup.sh installs (go install's
// bin directory, or PATH); missing, the test skips (fails under CI).
func versitygw(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.Split(strings.TrimSpace(string(out)), string(os.PathListSeparator))[0], "bin", "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return testutil.RequireCommand(t, "versitygw")
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// s3Bucket starts a versitygw on loopback with random credentials and
// returns a store URL factory, one new bucket per call.
func s3Bucket(t *testing.T) func(t *testing.T) string {
	t.Helper()
	bin := versitygw(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	endpoint, key, secret := "http://"+addr, "AK"+randomHex(8), randomHex(20)
	cmd := exec.Command(bin, "--access", key, "--secret", secret, "--port", addr, "--quiet", "posix", t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")})
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := client.ListBuckets(ctx, &s3.ListBucketsInput{})
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not answer: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return func(t *testing.T) string {
		name := "store-" + randomHex(6)
		if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		q := url.Values{"endpoint": {endpoint}, "access_key_id": {key}, "secret_access_key": {secret}}
		return fmt.Sprintf("objectstore+s3://%s/some/prefix?%s", name, q.Encode())
	}
}

func TestConformanceS3(t *testing.T) {
	newBucket := s3Bucket(t)
	pathinfotest.Run(t, func(t *testing.T) *store.Store {
		st, err := backend.Open(context.Background(), newBucket(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
