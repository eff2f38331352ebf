package talos

import (
	"crypto/tls"
	stdx509 "crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/siderolabs/crypto/x509"
	"go.etcd.io/etcd/server/v3/embed"
)

// etcdPKI is a member's TLS material, issued from the cluster's etcd CA
// (cluster.etcd.ca in the machine config) before each start, as Talos's
// etcd service issues it: one certificate the member serves its client and
// peer URLs with and presents to its peers, and one the simulator's own
// clients present (the API server's storage, the etcd calls of the machine
// API, a restore). Both ends require a certificate from that CA, so a
// client without one is refused at the handshake.
type etcdPKI struct {
	caFile, certFile, keyFile string // what etcd reads (embed takes files)
	client                    *tls.Config
}

// issueEtcdPKI writes the member's CA, certificate and key into dir and
// returns them with the client configuration.
func issueEtcdPKI(ca *x509.PEMEncodedCertificateAndKey, dir, hostname, ip string) (*etcdPKI, error) {
	if ca == nil || len(ca.Crt) == 0 || len(ca.Key) == 0 {
		return nil, errors.New("the machine config has no etcd CA (cluster.etcd.ca)")
	}
	authority, err := x509.NewCertificateAuthorityFromCertificateAndKey(ca)
	if err != nil {
		return nil, fmt.Errorf("failed to load the etcd CA: %w", err)
	}
	ips := []net.IP{net.ParseIP("127.0.0.1")}
	if p := net.ParseIP(ip); p != nil {
		ips = append(ips, p)
	}
	both := []stdx509.ExtKeyUsage{stdx509.ExtKeyUsageServerAuth, stdx509.ExtKeyUsageClientAuth}
	notBefore, notAfter := x509.NotBefore(time.Now().Add(-10*time.Second)), x509.NotAfter(time.Now().Add(365*24*time.Hour))
	member, err := x509.NewKeyPair(authority, x509.CommonName(hostname), x509.IPAddresses(ips),
		x509.DNSNames([]string{hostname, "localhost"}), notBefore, notAfter, x509.ExtKeyUsage(both))
	if err != nil {
		return nil, fmt.Errorf("failed to issue the etcd member certificate: %w", err)
	}
	admin, err := x509.NewKeyPair(authority, x509.CommonName("root"), notBefore, notAfter,
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageClientAuth}))
	if err != nil {
		return nil, fmt.Errorf("failed to issue the etcd client certificate: %w", err)
	}
	pool := stdx509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca.Crt) {
		return nil, errors.New("the etcd CA (cluster.etcd.ca) holds no certificate")
	}
	p := &etcdPKI{caFile: filepath.Join(dir, "ca.crt"), certFile: filepath.Join(dir, "member.crt"), keyFile: filepath.Join(dir, "member.key"),
		client: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool, Certificates: []tls.Certificate{*admin.Certificate}}}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	for path, data := range map[string][]byte{p.caFile: ca.Crt, p.certFile: member.CrtPEM, p.keyFile: member.KeyPEM} {
		if err := writeFileAtomic(path, data); err != nil {
			return nil, fmt.Errorf("failed to write the etcd PKI: %w", err)
		}
	}
	return p, nil
}

// apply makes cfg serve and dial over mutual TLS with the member's
// certificate.
func (p *etcdPKI) apply(cfg *embed.Config) {
	for _, info := range []*struct{ cert, key, ca *string }{
		{&cfg.ClientTLSInfo.CertFile, &cfg.ClientTLSInfo.KeyFile, &cfg.ClientTLSInfo.TrustedCAFile},
		{&cfg.PeerTLSInfo.CertFile, &cfg.PeerTLSInfo.KeyFile, &cfg.PeerTLSInfo.TrustedCAFile},
	} {
		*info.cert, *info.key, *info.ca = p.certFile, p.keyFile, p.caFile
	}
	cfg.ClientTLSInfo.ClientCertAuth = true
	cfg.PeerTLSInfo.ClientCertAuth = true
}

// writeFileAtomic writes a 0600 file through a temporary one, so etcd,
// which reads its certificate on every handshake, never sees half of one.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
