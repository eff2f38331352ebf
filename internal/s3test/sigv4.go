package s3test

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// verifySigV4 checks a request's AWS Signature Version 4 against the
// server's one secret key, as S3 does: the access key must be ours
// (InvalidAccessKeyId otherwise) and the signature one made with our
// secret (SignatureDoesNotMatch otherwise). The signature is recomputed by
// aws-sdk-go-v2's signer over the headers the client signed, at the time it
// signed them; the payload is taken at its declared hash
// (X-Amz-Content-Sha256), and gofakes3 checks Content-MD5. It returns the
// S3 error code, or "" for a request that verifies.
func verifySigV4(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(auth, algo) {
		return "AccessDenied"
	}
	fields := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(auth, algo), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = v
	}
	cred := strings.Split(fields["Credential"], "/")
	if len(cred) != 5 || cred[3] != "s3" || cred[4] != "aws4_request" {
		return "AuthorizationHeaderMalformed"
	}
	if cred[0] != AccessKey {
		return "InvalidAccessKeyId"
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "AccessDenied"
	}
	// The request as the client signed it: the signed headers only.
	c := r.Clone(r.Context())
	c.Header, c.ContentLength = http.Header{}, 0
	for _, h := range strings.Split(fields["SignedHeaders"], ";") {
		switch h {
		case "host":
		case "content-length":
			c.ContentLength = r.ContentLength
		default:
			c.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	c.URL.Scheme, c.URL.Host = "http", r.Host
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: AccessKey, SecretAccessKey: SecretKey}
	if err := signer.SignHTTP(r.Context(), creds, c, r.Header.Get("X-Amz-Content-Sha256"), "s3", cred[2], at); err != nil {
		return "AccessDenied"
	}
	if subtle.ConstantTimeCompare([]byte(signatureOf(c.Header.Get("Authorization"))), []byte(fields["Signature"])) != 1 {
		return "SignatureDoesNotMatch"
	}
	return ""
}

// signatureOf is the Signature= part of an Authorization header.
func signatureOf(auth string) string {
	_, sig, _ := strings.Cut(auth, "Signature=")
	return sig
}
