package proxmox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tripod-dev/tripod/internal/state"
)

// Fingerprint is the SHA-256 fingerprint of a DER certificate the way
// Proxmox VE shows it and `pvecm add --fingerprint` takes it: upper-case hex
// pairs joined by colons.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, x := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", x)
	}
	return b.String()
}

// PinStore keeps pinned fingerprints by key: a host's API certificate under
// its node name, its SSH host key under "<node>.ssh".
type PinStore interface {
	// Pin returns the pinned fingerprint, "" when there is none.
	Pin(key string) (string, error)
	// SetPin pins fingerprint under key.
	SetPin(key, fingerprint string) error
	// Where says where the pin for key lives, for messages that tell an
	// operator what to delete.
	Where(key string) string
}

// FilePins stores each pin in a file of Dir (the state directory's pins/),
// written atomically. Fingerprints are not secret, but they are what every
// later connection trusts, so the files are 0600 like the rest of the state.
type FilePins struct{ Dir string }

// Pin reads the pin for key.
func (p FilePins) Pin(key string) (string, error) {
	b, err := os.ReadFile(p.Where(key))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("failed to read pinned fingerprint: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// SetPin writes the pin for key.
func (p FilePins) SetPin(key, fingerprint string) error {
	if err := os.MkdirAll(p.Dir, 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", p.Dir, err)
	}
	return state.WriteFileAtomic(p.Where(key), []byte(fingerprint+"\n"), 0o600)
}

// Where is the pin file's path.
func (p FilePins) Where(key string) string { return filepath.Join(p.Dir, key) }

// Unpin deletes the pin for key (none is fine): once a server is released,
// whatever answers at its address next is trusted on first use again.
func (p FilePins) Unpin(key string) error {
	if err := os.Remove(p.Where(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("failed to delete pinned fingerprint %s: %w", p.Where(key), err)
	}
	return nil
}

// DryPins reads through to Base but keeps what is pinned in memory: a dry
// run may trust a certificate on first use to look further, but must leave
// the state directory as it found it.
type DryPins struct {
	Base PinStore
	mu   sync.Mutex
	mem  map[string]string
}

// Pin returns the in-memory pin, else Base's.
func (p *DryPins) Pin(key string) (string, error) {
	p.mu.Lock()
	v, ok := p.mem[key]
	p.mu.Unlock()
	if ok {
		return v, nil
	}
	return p.Base.Pin(key)
}

// SetPin pins in memory only.
func (p *DryPins) SetPin(key, fingerprint string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mem == nil {
		p.mem = map[string]string{}
	}
	p.mem[key] = fingerprint
	return nil
}

// Where is Base's.
func (p *DryPins) Where(key string) string { return p.Base.Where(key) }

// PinMismatchError is a host presenting a certificate (or SSH host key)
// other than the pinned one. The connection is refused.
type PinMismatchError struct {
	Node, Address       string
	What                string // "TLS certificate", "SSH host key"
	Expected, Presented string
	Where               string // the pin's file
}

func (e *PinMismatchError) Error() string {
	return fmt.Sprintf("refusing the connection to %s (%s): its %s does not match the pinned one (expected %s, presented %s); "+
		"if the host was reinstalled or its certificate replaced on purpose, delete %s and run again so the new one is trusted on first use; "+
		"otherwise something may be intercepting the connection", e.Node, e.Address, e.What, e.Expected, e.Presented, e.Where)
}

// pinnedTLS verifies the server by its pinned fingerprint alone. Proxmox VE
// certificates are self-signed (or signed by the cluster's own CA), so there
// is no chain to check: InsecureSkipVerify only turns off the chain check,
// and VerifyConnection refuses every certificate but the pinned one.
func pinnedTLS(ep Endpoint, pin, where string) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, //nolint:gosec // verified by VerifyConnection against the pin
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("%s (%s) presented no certificate", ep.Node, ep.Address)
			}
			got := Fingerprint(cs.PeerCertificates[0].Raw)
			if pin == "" || !strings.EqualFold(got, pin) {
				return &PinMismatchError{Node: ep.Node, Address: ep.APIAddress(), What: "TLS certificate", Expected: pin, Presented: got, Where: where}
			}
			return nil
		},
	}
}

// Probe connects to ep's API and returns the fingerprint of the certificate
// it presents, trusting nothing: the first contact after an install, whose
// answer the caller pins (trust on first use).
func Probe(ctx context.Context, d Dialer, ep Endpoint) (string, error) {
	c, err := ProbeCert(ctx, d, ep)
	if err != nil {
		return "", err
	}
	return Fingerprint(c.Raw), nil
}

// ProbeCert is Probe's certificate itself, for checks beyond the
// fingerprint (who issued it). Nothing is sent over the connection.
func ProbeCert(ctx context.Context, d Dialer, ep Endpoint) (*x509.Certificate, error) {
	conn, err := d.DialContext(ctx, "tcp", ep.APIAddress())
	if err != nil {
		return nil, fmt.Errorf("failed to reach the Proxmox API of %s at %s: %w", ep.Node, ep.APIAddress(), err)
	}
	defer conn.Close()
	var got *x509.Certificate
	tc := tls.Client(conn, &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, //nolint:gosec // reads the certificate to pin or check; nothing is sent
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("%s presented no certificate", ep.Node)
			}
			got = cs.PeerCertificates[0]
			return nil
		},
	})
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("failed the TLS handshake with %s at %s: %w", ep.Node, ep.APIAddress(), err)
	}
	_ = tc.Close()
	return got, nil
}

// SameIssuer reports whether cert was issued by the CA that issued peer
// (same issuer name and authority key) and is not self-signed: what a
// cluster join gives a member, whose certificate the cluster's CA signs
// like the first host's. The CA itself is not at hand to check the
// signature; callers also require the cluster's own record of cert, read
// from a pinned host, to agree.
func SameIssuer(cert, peer *x509.Certificate) bool {
	selfSigned := bytes.Equal(cert.RawIssuer, cert.RawSubject) ||
		cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) == nil
	return !selfSigned && len(cert.AuthorityKeyId) > 0 &&
		bytes.Equal(cert.RawIssuer, peer.RawIssuer) && bytes.Equal(cert.AuthorityKeyId, peer.AuthorityKeyId)
}
