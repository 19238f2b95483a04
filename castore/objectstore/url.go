package objectstore

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"

	"github.com/govix/govix/castore"
)

// URL schemes of object stores.
const (
	SchemeFile = "objectstore+file" // objectstore+file:///srv/castore
	SchemeS3   = "objectstore+s3"   // objectstore+s3://bucket/prefix?endpoint=...
)

// DefaultConcurrency is how many requests a store makes at a time unless
// its URL says otherwise (concurrency=N).
const DefaultConcurrency = 32

// Open opens the object store a store URL names:
//
//	objectstore+file:///dir[?fsync=false]
//	objectstore+s3://bucket[/prefix][?endpoint=URL&region=R&...]
//
// Parameters for both: concurrency=N bounds the requests in flight
// (default 32). For files, fsync=false skips syncing each object to disk
// before it appears (faster; a power cut may then lose recent objects, a
// killed process does not). For S3: endpoint (an S3-compatible server's
// URL; implies path-style addressing unless path_style=false), region
// (default us-east-1), profile (a shared-config profile), and
// access_key_id, secret_access_key, session_token for credentials (which
// otherwise come from the usual AWS_* environment variables and shared
// files).
func Open(ctx context.Context, u *url.URL) (*castore.Store, error) {
	b, err := OpenBucket(ctx, u)
	if err != nil {
		return nil, err
	}
	o, err := newObjects(b.Bucket, b.Prefix, b.Concurrency, b.Fsync)
	if err != nil {
		b.Close()
		return nil, err
	}
	if err := o.checkFormat(ctx); err != nil {
		o.close()
		return nil, fmt.Errorf("objectstore: %s: %w", redacted(u), err)
	}
	dirs := &dirService{DirectoryService: castore.NewDirectoryService(o), o: o}
	return castore.NewStore(newBlobService(o), dirs, o.close), nil
}

// Bucket is the object storage a store URL names, opened: for other
// services (a store's PathInfos, say) to keep their objects beside the
// castore's, under their own key prefix.
type Bucket struct {
	*blob.Bucket
	Prefix      string // of every key: "" or ending in "/"
	Concurrency int    // requests to make at a time
	Fsync       bool   // sync files before they appear (objectstore+file)
}

// OpenBucket opens the bucket of an objectstore+file or objectstore+s3 URL,
// taking the parameters Open documents and refusing others.
func OpenBucket(ctx context.Context, u *url.URL) (*Bucket, error) {
	q := u.Query()
	take := func(name string) string {
		v := q.Get(name)
		q.Del(name)
		return v
	}
	b := &Bucket{Concurrency: DefaultConcurrency}
	if v := take("concurrency"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return nil, fmt.Errorf("objectstore: concurrency=%q: want a number from 1 to 1024", v)
		}
		b.Concurrency = n
	}

	switch u.Scheme {
	case SchemeFile:
		if u.Host != "" || u.Path == "" {
			return nil, fmt.Errorf("objectstore: %s: want objectstore+file:///absolute/dir", redacted(u))
		}
		b.Fsync = true
		if v := take("fsync"); v != "" {
			f, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("objectstore: fsync=%q: want true or false", v)
			}
			b.Fsync = f
		}
		if err := noMore(u, q); err != nil {
			return nil, err
		}
		var err error
		b.Bucket, err = fileblob.OpenBucket(u.Path, &fileblob.Options{
			CreateDir: true,
			// Temporary files next to their objects: renames stay on one
			// file system, and a crash leaves only *.tmp files behind.
			NoTempDir: true,
			Metadata:  fileblob.MetadataDontWrite,
		})
		if err != nil {
			return nil, fmt.Errorf("objectstore: %s: %w", redacted(u), err)
		}
	case SchemeS3:
		if u.Host == "" {
			return nil, fmt.Errorf("objectstore: %s: want objectstore+s3://bucket[/prefix]", redacted(u))
		}
		client, err := s3Client(ctx, q, take, b.Concurrency)
		if err != nil {
			return nil, err
		}
		if err := noMore(u, q); err != nil {
			return nil, err
		}
		b.Bucket, err = s3blob.OpenBucket(ctx, client, u.Host, nil)
		if err != nil {
			return nil, fmt.Errorf("objectstore: %s: %w", redacted(u), err)
		}
		if p := strings.Trim(u.Path, "/"); p != "" {
			b.Prefix = p + "/"
		}
	default:
		return nil, fmt.Errorf("objectstore: %s: scheme %q is not an object store scheme (want %s or %s)", redacted(u), u.Scheme, SchemeFile, SchemeS3)
	}
	return b, nil
}

func s3Client(ctx context.Context, q url.Values, take func(string) string, concurrency int) (*s3.Client, error) {
	endpoint := take("endpoint")
	region := take("region")
	profile := take("profile")
	keyID, secret, token := take("access_key_id"), take("secret_access_key"), take("session_token")
	pathStyle := endpoint != ""
	if v := take("path_style"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("objectstore: path_style=%q: want true or false", v)
		}
		pathStyle = b
	}
	if (keyID == "") != (secret == "") {
		return nil, fmt.Errorf("objectstore: give both access_key_id and secret_access_key, or neither")
	}

	// Keep a connection per request slot: with the default of a few idle
	// connections per host, parallel requests would open and close
	// connections all the time.
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = max(t.MaxIdleConns, concurrency)
		t.MaxIdleConnsPerHost = concurrency
	})
	opts := []func(*config.LoadOptions) error{config.WithHTTPClient(httpClient)}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if keyID != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(keyID, secret, token)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("objectstore: loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // what S3-compatible servers expect unless told otherwise
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = pathStyle
		// Checksums only where S3 requires them: not every S3-compatible
		// server takes the newer checksum headers, and castore checks
		// every byte it reads against its digest anyway.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}), nil
}

func noMore(u *url.URL, q url.Values) error {
	if len(q) == 0 {
		return nil
	}
	var names []string
	for k := range q {
		names = append(names, k)
	}
	return fmt.Errorf("objectstore: %s: unknown parameters %s", redacted(u), strings.Join(names, ", "))
}

// redacted prints u without secrets.
func redacted(u *url.URL) string {
	c := *u
	q := c.Query()
	for _, k := range []string{"secret_access_key", "session_token"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
		}
	}
	c.RawQuery = q.Encode()
	return c.Redacted()
}
