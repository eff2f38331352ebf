package talos

import (
	"crypto/tls"
	stdx509 "crypto/x509"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/siderolabs/crypto/x509"
)

// maintenanceCert is what apid serves in maintenance mode: a certificate
// from a CA the node generates at boot and nobody can verify, so clients
// connect with InsecureSkipVerify (talosctl --insecure).
func maintenanceCert(ip string) (tls.Certificate, error) {
	ca, err := x509.NewSelfSignedCertificateAuthority(x509.ECDSA(true), x509.Organization("talos"),
		x509.NotAfter(time.Now().Add(24*time.Hour)))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("failed to create the maintenance CA: %w", err)
	}
	kp, err := x509.NewKeyPair(ca, x509.CommonName("maintenance-service"), x509.IPAddresses([]net.IP{net.ParseIP(ip)}),
		x509.NotAfter(time.Now().Add(24*time.Hour)),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageServerAuth}))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("failed to issue the maintenance certificate: %w", err)
	}
	return *kp.Certificate, nil
}

// apidCert issues apid's serving certificate from the Talos OS CA with the
// SANs a real node puts there (machined's APICertSANsController):
// machine.certSANs, its addresses and its hostname. No loopback name: a
// client reaching the node through a local forward needs 127.0.0.1 in
// certSANs, as tripod puts it on control planes.
func apidCert(ca *x509.PEMEncodedCertificateAndKey, f facts, ip string) (tls.Certificate, error) {
	authority, err := x509.NewCertificateAuthorityFromCertificateAndKey(ca)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("failed to load the machine CA: %w", err)
	}
	ips := []net.IP{net.ParseIP(ip)}
	dns := []string{f.hostname}
	for _, a := range append(append([]string{}, f.addresses...), f.certSANs...) {
		if p := net.ParseIP(a); p != nil {
			ips = append(ips, p)
		} else if a != "" {
			dns = append(dns, a)
		}
	}
	kp, err := x509.NewKeyPair(authority, x509.CommonName(f.hostname), x509.IPAddresses(ips), x509.DNSNames(dns),
		x509.NotBefore(time.Now().Add(-10*time.Second)), x509.NotAfter(time.Now().Add(365*24*time.Hour)),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageServerAuth}))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("failed to issue the apid certificate: %w", err)
	}
	return *kp.Certificate, nil
}

// clientCAs is the pool apid verifies client certificates against: the
// machine CA and machine.acceptedCAs.
func clientCAs(f facts) (*stdx509.CertPool, error) {
	pool := stdx509.NewCertPool()
	if f.osCA == nil || !pool.AppendCertsFromPEM(f.osCA.Crt) {
		return nil, errors.New("the machine config has no machine CA certificate")
	}
	for _, c := range f.acceptedCAs {
		if c != nil {
			pool.AppendCertsFromPEM(c.Crt)
		}
	}
	return pool, nil
}

// secureTLS is apid's configuration once configured: TLS 1.3, mutual, with
// the client-auth extended key usage required as apid checks it.
func secureTLS(cert tls.Certificate, pool *stdx509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		NextProtos:   []string{"h2"},
		VerifyPeerCertificate: func(_ [][]byte, chains [][]*stdx509.Certificate) error {
			for _, chain := range chains {
				for _, u := range chain[0].ExtKeyUsage {
					if u == stdx509.ExtKeyUsageClientAuth {
						return nil
					}
				}
				return fmt.Errorf("certificate %q is missing the client auth extended key usage", chain[0].Subject.CommonName)
			}
			return nil
		},
	}
}

func maintenanceTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}}
}

// sameCA reports whether two configs trust the same machine CA: what lets
// apid on one node proxy to another.
func sameCA(a, b facts) bool {
	return a.osCA != nil && b.osCA != nil && string(a.osCA.Crt) == string(b.osCA.Crt)
}
