package s3state

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/tripod-dev/tripod/internal/netx"
)

// Objects is a plain prefix of a bucket, outside any remote state's
// layout: where backups are uploaded (tripod backup --to). It uses the
// same client, credentials and error sentences as a remote state.
type Objects struct{ b *bucket }

// OpenObjects opens the s3://BUCKET/PREFIX location raw, reached through
// dial.
func OpenObjects(ctx context.Context, raw string, dial *netx.Dialer) (*Objects, error) {
	b, err := openBucket(ctx, raw, dial)
	if err != nil {
		return nil, err
	}
	return &Objects{b: b}, nil
}

// Location is where the objects are.
func (o *Objects) Location() Location { return o.b.loc }

// Put uploads size bytes of r as PREFIX/rel.
func (o *Objects) Put(ctx context.Context, rel string, r io.Reader, size int64) error {
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream", SendContentMd5: true}
	if size == 0 {
		opts.DisableContentSha256 = true // see bucket.put
	}
	if _, err := o.b.c.PutObject(ctx, o.b.loc.Bucket, o.b.loc.Prefix+rel, r, size, opts); err != nil {
		return o.b.explain("upload "+rel, err)
	}
	return nil
}

// Get reads PREFIX/rel.
func (o *Objects) Get(ctx context.Context, rel string) ([]byte, error) {
	data, _, err := o.b.get(ctx, o.b.loc.Prefix+rel)
	return data, err
}

// IsNotFound says whether err is Get finding no such object.
func IsNotFound(err error) bool { return errors.Is(err, errNoObject) }

// ObjectInfo is one listed object, named relative to the prefix.
type ObjectInfo struct {
	Name string
	Size int64
}

// List lists the objects under PREFIX/rel.
func (o *Objects) List(ctx context.Context, rel string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	p := o.b.loc.Prefix + rel
	for obj := range o.b.c.ListObjects(ctx, o.b.loc.Bucket, minio.ListObjectsOptions{Prefix: p, Recursive: true}) {
		if obj.Err != nil {
			return nil, o.b.explain("list "+p, obj.Err)
		}
		out = append(out, ObjectInfo{Name: strings.TrimPrefix(obj.Key, o.b.loc.Prefix), Size: obj.Size})
	}
	return out, nil
}
