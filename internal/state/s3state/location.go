package s3state

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/netx"
)

// DefaultLease is how long a lock holds without being renewed: a run that
// dies (SIGKILL, a lost machine) keeps the state locked this long.
const DefaultLease = time.Minute

// Location is where a remote state lives: s3://BUCKET/PREFIX, with query
// parameters endpoint (default AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else
// Scaleway Object Storage of the region), region (default AWS_REGION, else
// fr-par) and lease (default one minute).
type Location struct {
	Bucket, Prefix string
	Endpoint       string // host[:port]
	Secure         bool
	Region         string
	Lease          time.Duration
	raw            string
}

// IsRemote says whether a --state or inventory state: value names a bucket.
func IsRemote(s string) bool { return strings.HasPrefix(s, "s3://") }

// ParseLocation reads an s3:// URL.
func ParseLocation(raw string) (Location, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return Location{}, fmt.Errorf("state %q is not an s3://BUCKET/PREFIX URL", raw)
	}
	q := u.Query()
	l := Location{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/"), Region: q.Get("region"), Lease: DefaultLease, raw: raw}
	if l.Region == "" {
		l.Region = os.Getenv("AWS_REGION")
	}
	if l.Region == "" {
		l.Region = "fr-par"
	}
	ep := q.Get("endpoint")
	for _, v := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"} {
		if ep == "" {
			ep = os.Getenv(v)
		}
	}
	if ep == "" {
		ep = "https://s3." + l.Region + ".scw.cloud"
	}
	eu, err := url.Parse(ep)
	if err != nil || (eu.Scheme != "http" && eu.Scheme != "https") || eu.Host == "" {
		return Location{}, fmt.Errorf("state %q: endpoint %q is not an http(s):// URL", raw, ep)
	}
	l.Endpoint, l.Secure = eu.Host, eu.Scheme == "https"
	if v := q.Get("lease"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return Location{}, fmt.Errorf("state %q: lease %q is not a duration of at least 1s (e.g. lease=2m)", raw, v)
		}
		l.Lease = d
	}
	if l.Prefix != "" {
		l.Prefix += "/"
	}
	return l, nil
}

// String is the URL without its query.
func (l Location) String() string {
	return "s3://" + l.Bucket + "/" + strings.TrimSuffix(l.Prefix, "/")
}

// Scaleway says whether the endpoint is Scaleway Object Storage.
func (l Location) Scaleway() bool { return strings.HasSuffix(l.Endpoint, ".scw.cloud") }

// credentials returns the keys for the endpoint and where they came from:
// the Scaleway profile's (SCW_ACCESS_KEY and SCW_SECRET_KEY, else the
// active profile of the Scaleway config file) for Scaleway Object Storage,
// the AWS_* variables otherwise.
func (l Location) credentials() (*credentials.Credentials, string, error) {
	if l.Scaleway() {
		p := &scw.Profile{}
		if cfg, err := scw.LoadConfig(); err == nil {
			if ap, err := cfg.GetActiveProfile(); err == nil {
				p = ap
			}
		}
		p = scw.MergeProfiles(p, scw.LoadEnvProfile())
		if p.AccessKey == nil || p.SecretKey == nil || *p.AccessKey == "" || *p.SecretKey == "" {
			return nil, "", fmt.Errorf("state %s is on Scaleway Object Storage and no Scaleway keys are set: set SCW_ACCESS_KEY and SCW_SECRET_KEY, or an active profile in the Scaleway config file", l)
		}
		return credentials.NewStaticV4(*p.AccessKey, *p.SecretKey, ""), "the Scaleway profile's keys", nil
	}
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return nil, "", fmt.Errorf("state %s: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set for endpoint %s", l, l.Endpoint)
	}
	return credentials.NewStaticV4(id, secret, os.Getenv("AWS_SESSION_TOKEN")), "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", nil
}

// client is the bucket's S3 client. minio-go is the one retry layer of
// every request: it resends 5xx and connection failures with backoff (10
// attempts, at most a second apart).
//
// Its connections go through dial, tripod's one dialer, so that a simulated
// run's state never leaves loopback (netx.Loopback refuses a real endpoint).
func (l Location) client(dial *netx.Dialer) (*minio.Client, string, error) {
	creds, source, err := l.credentials()
	if err != nil {
		return nil, "", err
	}
	tr := dial.HTTPClient(nil, 0).Transport
	c, err := minio.New(l.Endpoint, &minio.Options{Creds: creds, Secure: l.Secure, Region: l.Region, Transport: tr})
	if err != nil {
		return nil, "", fmt.Errorf("failed to set up the S3 client for %s: %w", l, err)
	}
	return c, source, nil
}
