package s3state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/minio/minio-go/v7"

	"github.com/tripod-dev/tripod/internal/netx"
)

// The layout of a remote state under its prefix.
const (
	lockKey    = "lock.json"
	journalDir = "journal/" // one object per record: journal/000000000042.json
	filesDir   = "files/"   // every other file of the state directory, by path
)

// bucket is the S3 side of a remote state.
type bucket struct {
	c      *minio.Client
	loc    Location
	source string // where the credentials came from, for errors
}

func openBucket(ctx context.Context, raw string, dial *netx.Dialer) (*bucket, error) {
	loc, err := ParseLocation(raw)
	if err != nil {
		return nil, err
	}
	if dial == nil {
		return nil, errors.New("s3state: no dialer given (internal error)")
	}
	c, source, err := loc.client(dial)
	if err != nil {
		return nil, err
	}
	return &bucket{c: c, loc: loc, source: source}, nil
}

// The conditions of a put.
const (
	condAny   = iota
	condNone  // If-None-Match: *, the object must not exist
	condMatch // If-Match: etag, the object must be that version
)

func (b *bucket) put(ctx context.Context, key string, data []byte, cond int, etag string) (string, error) {
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream", DisableMultipart: true, SendContentMd5: true}
	switch cond {
	case condNone:
		opts.SetMatchETagExcept("*")
	case condMatch:
		opts.SetMatchETag(etag)
	}
	if len(data) == 0 {
		// minio-go's streaming signature (used over plain HTTP) sends an
		// empty PUT with no Content-Length, which S3 refuses (411
		// MissingContentLength); an unsigned payload sends Content-Length: 0
		// (Content-MD5 still guards it).
		opts.DisableContentSha256 = true
	}
	info, err := b.c.PutObject(ctx, b.loc.Bucket, key, bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		return "", err
	}
	return info.ETag, nil
}

// get returns an object and its ETag; errNoObject when there is none.
func (b *bucket) get(ctx context.Context, key string) ([]byte, string, error) {
	o, err := b.c.GetObject(ctx, b.loc.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, "", b.explain("read "+key, err)
	}
	defer o.Close()
	data, err := io.ReadAll(o)
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil, "", errNoObject
		}
		return nil, "", b.explain("read "+key, err)
	}
	st, err := o.Stat()
	if err != nil {
		return nil, "", b.explain("read "+key, err)
	}
	return data, st.ETag, nil
}

func (b *bucket) remove(ctx context.Context, key string) error {
	if err := b.c.RemoveObject(ctx, b.loc.Bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return b.explain("remove "+key, err)
	}
	return nil
}

// list returns the keys under prefix, in order.
func (b *bucket) list(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	for o := range b.c.ListObjects(ctx, b.loc.Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, b.explain("list "+prefix, o.Err)
		}
		keys = append(keys, o.Key)
	}
	return keys, nil
}

func isPrecondition(err error) bool {
	return minio.ToErrorResponse(err).StatusCode == http.StatusPreconditionFailed
}

// CredentialsError is the bucket refusing who we are.
type CredentialsError struct {
	Location, Endpoint, Source, Code string
}

func (e *CredentialsError) Error() string {
	return fmt.Sprintf("the bucket of %s at %s refused the credentials from %s (%s): check those keys and that they may use this bucket; nothing was changed", e.Location, e.Endpoint, e.Source, e.Code)
}

// explain turns an S3 error into one sentence naming the state and what
// to do.
func (b *bucket) explain(what string, err error) error {
	r := minio.ToErrorResponse(err)
	switch {
	case r.Code == minio.NoSuchKey:
		return errNoObject
	case r.StatusCode == http.StatusForbidden || r.Code == "InvalidAccessKeyId" || r.Code == "SignatureDoesNotMatch":
		return &CredentialsError{Location: b.loc.String(), Endpoint: b.loc.Endpoint, Source: b.source, Code: r.Code}
	case r.Code == minio.NoSuchBucket:
		return fmt.Errorf("state %s: the bucket %s does not exist at %s; create it first (tripod never creates buckets)", b.loc, b.loc.Bucket, b.loc.Endpoint)
	}
	if errors.Is(err, errNoObject) {
		return err
	}
	return fmt.Errorf("failed to %s in %s: %w", what, b.loc, err)
}
