package s3state

import (
	"context"
	"testing"

	"github.com/tripod-dev/tripod/internal/netx"
)

// An empty file goes to the bucket and comes back empty: a PUT with no
// body still says its length, which S3 requires (411 MissingContentLength
// otherwise).
func TestEmptyObjectRoundTrips(t *testing.T) {
	_, url := startS3(t)
	b, err := openBucket(context.Background(), url, netx.Loopback())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.put(context.Background(), "files/empty.log", nil, condAny, ""); err != nil {
		t.Fatalf("put of an empty object: %v", err)
	}
	got, _, err := b.get(context.Background(), "files/empty.log")
	if err != nil || len(got) != 0 {
		t.Fatalf("get of the empty object: %q, %v", got, err)
	}
}
