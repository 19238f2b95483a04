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

	cobjectstore "github.com/govix/govix/castore/objectstore"
)

// openBucket opens the bucket of an objectstore+file or objectstore+s3
// URL, taking the same parameters castore/objectstore takes (so one URL
// names the whole store).
func openBucket(ctx context.Context, u *url.URL) (*blob.Bucket, string, error) {
	q := u.Query()
	switch u.Scheme {
	case cobjectstore.SchemeFile:
		if u.Host != "" || u.Path == "" {
			return nil, "", fmt.Errorf("objectstore: want objectstore+file:///absolute/dir")
		}
		b, err := fileblob.OpenBucket(u.Path, &fileblob.Options{CreateDir: true, NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
		if err != nil {
			return nil, "", fmt.Errorf("objectstore: %w", err)
		}
		return b, "", nil
	case cobjectstore.SchemeS3:
		if u.Host == "" {
			return nil, "", fmt.Errorf("objectstore: want objectstore+s3://bucket[/prefix]")
		}
		client, err := s3Client(ctx, q)
		if err != nil {
			return nil, "", err
		}
		b, err := s3blob.OpenBucket(ctx, client, u.Host, nil)
		if err != nil {
			return nil, "", fmt.Errorf("objectstore: %w", err)
		}
		prefix := ""
		if p := strings.Trim(u.Path, "/"); p != "" {
			prefix = p + "/"
		}
		return b, prefix, nil
	}
	return nil, "", fmt.Errorf("objectstore: scheme %q is not an object store scheme", u.Scheme)
}

func s3Client(ctx context.Context, q url.Values) (*s3.Client, error) {
	endpoint := q.Get("endpoint")
	pathStyle := endpoint != ""
	if v := q.Get("path_style"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("objectstore: path_style=%q: want true or false", v)
		}
		pathStyle = b
	}
	keyID, secret := q.Get("access_key_id"), q.Get("secret_access_key")
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = 32
	})
	opts := []func(*config.LoadOptions) error{config.WithHTTPClient(httpClient)}
	if r := q.Get("region"); r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	if p := q.Get("profile"); p != "" {
		opts = append(opts, config.WithSharedConfigProfile(p))
	}
	if keyID != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(keyID, secret, q.Get("session_token"))))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("objectstore: loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = pathStyle
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}), nil
}
