package s3state

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseLocation(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	l, err := ParseLocation("s3://acme-state/labs/lab")
	if err != nil {
		t.Fatal(err)
	}
	if l.Endpoint != "s3.fr-par.scw.cloud" || !l.Secure || l.Region != "fr-par" || l.Prefix != "labs/lab/" || l.Lease != DefaultLease || !l.Scaleway() {
		t.Errorf("default location: %+v", l)
	}
	l, err = ParseLocation("s3://b?endpoint=http://127.0.0.1:9000&region=us-east-1&lease=2m")
	if err != nil {
		t.Fatal(err)
	}
	if l.Endpoint != "127.0.0.1:9000" || l.Secure || l.Region != "us-east-1" || l.Prefix != "" || l.Lease != 2*time.Minute || l.Scaleway() {
		t.Errorf("explicit location: %+v", l)
	}
	for raw, want := range map[string]string{
		"https://b/p":                 "is not an s3://BUCKET/PREFIX URL",
		"s3://b/p?endpoint=ftp://x":   `endpoint "ftp://x" is not an http(s):// URL`,
		"s3://b/p?lease=10ms":         `lease "10ms" is not a duration of at least 1s`,
		"s3:///p":                     "is not an s3://BUCKET/PREFIX URL",
		"s3://b/p?lease=forever-ever": "is not a duration",
	} {
		if _, err := ParseLocation(raw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", raw, err, want)
		}
	}
}

// TestCredentialsFollowTheEndpoint: Scaleway Object Storage takes the
// Scaleway profile's keys, any other endpoint the AWS_* ones, and missing
// keys are one sentence naming what to set.
func TestCredentialsFollowTheEndpoint(t *testing.T) {
	t.Setenv("SCW_CONFIG_PATH", filepath.Join(t.TempDir(), "none.yaml"))
	t.Setenv("AWS_ACCESS_KEY_ID", "AKAWS")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "aws-secret")
	t.Setenv("SCW_ACCESS_KEY", "")
	t.Setenv("SCW_SECRET_KEY", "")
	scw, _ := ParseLocation("s3://b/p?endpoint=https://s3.nl-ams.scw.cloud&region=nl-ams")
	if _, _, err := scw.credentials(); err == nil || !strings.Contains(err.Error(), "set SCW_ACCESS_KEY and SCW_SECRET_KEY") {
		t.Errorf("Scaleway without keys: %v", err)
	}
	t.Setenv("SCW_ACCESS_KEY", "SCWAAAAAAAAAAAAAAAAA")
	t.Setenv("SCW_SECRET_KEY", "11111111-1111-1111-1111-111111111111")
	c, source, err := scw.credentials()
	if err != nil || source != "the Scaleway profile's keys" {
		t.Fatalf("Scaleway: %q %v", source, err)
	}
	if v, _ := c.Get(); v.AccessKeyID != "SCWAAAAAAAAAAAAAAAAA" {
		t.Errorf("Scaleway endpoint took key %q", v.AccessKeyID)
	}
	other, _ := ParseLocation("s3://b/p?endpoint=http://127.0.0.1:9000")
	c, source, err = other.credentials()
	if v, _ := c.Get(); err != nil || v.AccessKeyID != "AKAWS" || !strings.HasPrefix(source, "AWS_ACCESS_KEY_ID") {
		t.Errorf("other endpoint: key %q from %q, %v", v.AccessKeyID, source, err)
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if _, _, err := other.credentials(); err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set") {
		t.Errorf("other endpoint without keys: %v", err)
	}
}
