package s3test

import (
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/tripod-dev/tripod/internal/state"
)

// ForTest serves a fresh S3 server with bucket for the test t, closed when
// it ends, and returns it with the environment a CI job would set for it:
// the server's keys and a new age identity that seals the state's secrets,
// as KEY=VALUE.
func ForTest(t testing.TB, bucket string) (*Server, []string) {
	t.Helper()
	srv, err := Start(bucket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return srv, []string{"AWS_ACCESS_KEY_ID=" + AccessKey, "AWS_SECRET_ACCESS_KEY=" + SecretKey,
		state.EnvAgeIdentity + "=" + id.String(), state.EnvAgeIdentityFile + "="}
}

// Setenv sets each KEY=VALUE of env for the test t.
func Setenv(t testing.TB, env []string) {
	t.Helper()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}
