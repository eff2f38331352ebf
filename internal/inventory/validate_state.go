package inventory

import (
	"net/url"
	"strings"
)

// validateState checks the shape of state: an s3:// URL naming a bucket.
// Whether the bucket answers is for the run to find out.
func validateState(f *findings, state string) {
	if state == "" {
		return
	}
	u, err := url.Parse(state)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.User != nil || u.Fragment != "" {
		f.errorf("state", "%q is not an s3://BUCKET/PREFIX URL (the local state directory is the default; leave state out to use it)", state)
		return
	}
	for k := range u.Query() {
		if k != "endpoint" && k != "region" && k != "lease" {
			f.errorf("state", "unknown parameter %q in %q (want endpoint, region or lease)", k, state)
		}
	}
	if strings.Contains(u.Path, "//") {
		f.errorf("state", "prefix %q of %q has an empty path segment", u.Path, state)
	}
}
