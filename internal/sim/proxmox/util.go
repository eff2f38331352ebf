package proxmox

import (
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"io"
	"log"
	"regexp"
	"time"
)

const pollInterval = 20 * time.Millisecond

var tokenNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9.\-_]+$`)

// uuid derives a version-4-shaped UUID from the seed and a label.
func (c *Cluster) uuid(label string) string {
	b := seedFor(c.env.Seed, "uuid\x00"+label)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// hexID is a short stable hex string for labels (fsids, MACs, digests).
func hexID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%s\x00", p)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// nullLogger silences net/http's per-connection errors (TLS handshakes that
// a pinning client aborts are expected here).
func nullLogger() *log.Logger { return log.New(io.Discard, "", 0) }

func sha1hex(s string) string { return fmt.Sprintf("%x", sha1.Sum([]byte(s))) }
