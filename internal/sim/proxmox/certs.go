package proxmox

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// keyPair is a certificate with its key, kept as DER so it saves and loads
// byte for byte. Keys are Ed25519 derived from the simulator seed, so a
// world's fingerprints are reproducible (real PVE uses RSA; no client of the
// simulator can tell the difference that matters: the pinned fingerprint).
type keyPair struct {
	CertDER []byte `json:"cert"`
	KeySeed []byte `json:"key_seed"`
}

func (k *keyPair) key() ed25519.PrivateKey { return ed25519.NewKeyFromSeed(k.KeySeed) }

func (k *keyPair) cert() (*x509.Certificate, error) { return x509.ParseCertificate(k.CertDER) }

func (k *keyPair) tlsCert() tls.Certificate {
	c, _ := k.cert()
	return tls.Certificate{Certificate: [][]byte{k.CertDER}, PrivateKey: k.key(), Leaf: c}
}

// fingerprint is the SHA-256 of the DER certificate in the colon-separated
// upper-case hex that PVE shows and `pvecm add --fingerprint` takes.
func (k *keyPair) fingerprint() string {
	sum := sha256.Sum256(k.CertDER)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

func (k *keyPair) pem() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.CertDER}))
}

// seedFor derives a 32-byte key seed from the simulator seed and a label.
func seedFor(seed int64, label string) []byte {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s", seed, label)))
	return sum[:]
}

// newCA makes a pve-root-ca style certificate authority.
func newCA(seed int64, label string, now time.Time) (*keyPair, error) {
	ks := seedFor(seed, "ca\x00"+label)
	key := ed25519.NewKeyFromSeed(ks)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(ks),
		Subject:               pkix.Name{CommonName: "Proxmox Virtual Environment", OrganizationalUnit: []string{label}, Organization: []string{"PVE Cluster Manager CA"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("failed to create CA certificate: %w", err)
	}
	return &keyPair{CertDER: der, KeySeed: ks}, nil
}

// newNodeCert makes a pve-ssl.pem for a node signed by ca (self-signed when
// ca is nil, as SwapCertificate wants), with the node's name and address as
// SANs, the way pvecm updatecerts writes them.
func newNodeCert(seed int64, label string, ca *keyPair, hostname, ip string, now time.Time) (*keyPair, error) {
	ks := seedFor(seed, "node\x00"+label)
	key := ed25519.NewKeyFromSeed(ks)
	tmpl := &x509.Certificate{
		SerialNumber: serial(ks),
		Subject:      pkix.Name{CommonName: hostname, OrganizationalUnit: []string{"PVE Cluster Node"}, Organization: []string{"Proxmox Virtual Environment"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(2, 0, 0),
		DNSNames:     []string{"localhost", hostname},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(ip)},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parent, signer := tmpl, key
	if ca != nil {
		c, err := ca.cert()
		if err != nil {
			return nil, err
		}
		parent, signer = c, ca.key()
	}
	der, err := x509.CreateCertificate(nil, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("failed to create node certificate: %w", err)
	}
	return &keyPair{CertDER: der, KeySeed: ks}, nil
}

func serial(seed []byte) *big.Int {
	return new(big.Int).SetBytes(seed[:16])
}
