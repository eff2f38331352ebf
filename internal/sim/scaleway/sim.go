package scaleway

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// Credentials are the API keys and the account the simulator accepts.
type Credentials struct {
	AccessKey      string // SCW + 17 upper-case letters or digits
	SecretKey      string // a UUID, sent by the SDK as X-Auth-Token
	OrganizationID string
	ProjectID      string
}

// NewCredentials derives syntactically valid credentials from seed, so the
// SDK's own format checks pass and the same seed gives the same keys. The
// project ID equals the organization ID, as for a default project in the
// recorded traffic.
func NewCredentials(seed int64) Credentials {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	h := seededBytes(seed, "access-key", 17)
	key := make([]byte, 17)
	for i, b := range h {
		key[i] = alphabet[int(b)%len(alphabet)]
	}
	org := seededUUID(seed, "organization", 0)
	return Credentials{
		AccessKey:      "SCW" + string(key),
		SecretKey:      seededUUID(seed, "secret-key", 0),
		OrganizationID: org,
		ProjectID:      org,
	}
}

// Sim is the simulated Scaleway API. Build it with New; set the hooks and
// knobs before serving requests.
type Sim struct {
	// OnInstalled is called once per completed Proxmox VE install. It runs
	// with the simulator locked: it must not call back into the Sim.
	OnInstalled func(simcore.HostInfo)
	// OnRemoved is called once a deleted server is gone (same rule).
	OnRemoved func(serverID, publicIP string)
	// OnRebooted is called when a server is rebooted through the API (same
	// rule): what runs on it loses its live state and boots again.
	OnRebooted func(serverID string)
	// ServerQuota caps the live servers per provider and project; 0 means no
	// cap. Orders beyond it get quotas_exceeded. Set it before serving, or
	// use SetServerQuota (the preload's way) at any time.
	ServerQuota int

	env    *simcore.Env
	creds  Credentials
	router *simcore.Router

	mu  sync.Mutex
	w   *world
	req atomic.Uint64 // X-Request-Id sequence
}

// New returns a simulator with an empty world: no servers, every catalogue
// offer in stock as recorded, and creds as the only valid key.
func New(env *simcore.Env, creds Credentials) *Sim {
	s := &Sim{env: env, creds: creds, w: newWorld()}
	s.router = simcore.NewRouter(env, simcore.APIScaleway, s.writeRouterError)
	s.router.Before = s.authenticate
	s.routes()
	return s
}

// Handler serves every path: modelled routes, and a recorded 501 for others.
func (s *Sim) Handler() http.Handler { return s.router }

// Credentials returns the credentials the simulator accepts.
func (s *Sim) Credentials() Credentials { return s.creds }

// Run advances every pending status machine on a short ticker until ctx
// ends, so installs complete and hooks fire even when nobody polls.
func (s *Sim) Run(ctx context.Context) {
	t := time.NewTicker(3 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.mu.Lock()
			s.advance(s.env.Now())
			s.mu.Unlock()
		}
	}
}

// authenticate checks X-Auth-Token against the secret key, answering 401 in
// the gateway's shape so the SDK returns a DeniedAuthenticationError.
// publicCatalog is the product catalogue's prefix: it asks no authentication.
const publicCatalog = "/product-catalog/"

func (s *Sim) authenticate(w http.ResponseWriter, r *http.Request) bool {
	tok := r.Header.Get("X-Auth-Token")
	if tok == s.creds.SecretKey || tok == "" && strings.HasPrefix(r.URL.Path, publicCatalog) {
		return true
	}
	reason := "not_found"
	if !isUUID(tok) {
		reason = "invalid_argument"
	}
	s.writeError(w, &apiError{Status: http.StatusUnauthorized, Body: map[string]any{
		"message": "authentication is denied", "method": "api_key",
		"reason": reason, "type": "denied_authentication",
	}})
	return false
}

// seededBytes returns n bytes derived from (seed, label, n): stable across
// runs, different per label.
func seededBytes(seed int64, label string, n int) []byte {
	var out []byte
	for i := 0; len(out) < n; i++ {
		sum := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s\x00%d", seed, label, i))
		out = append(out, sum[:]...)
	}
	return out[:n]
}

// seededUUID returns a version-4-shaped UUID derived from (seed, label, n).
func seededUUID(seed int64, label string, n uint64) string {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], n)
	b := seededBytes(seed, label+"\x00"+string(buf[:]), 16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
