package kube

import (
	"crypto/tls"
	stdx509 "crypto/x509"
	"fmt"
	"net"
	"time"

	"github.com/siderolabs/crypto/x509"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// servingCert issues the API server's certificate from the cluster's
// Kubernetes CA, with the SANs a Talos kube-apiserver certificate carries:
// the endpoint host, the in-cluster service names, localhost and the first
// service IP. Clients verify the endpoint host against it.
func servingCert(spec Spec) (tls.Certificate, error) {
	ca, err := x509.NewCertificateAuthorityFromCertificateAndKey(&x509.PEMEncodedCertificateAndKey{Crt: spec.CACert, Key: spec.CAKey})
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("kube: cluster %s: failed to load the Kubernetes CA: %w", spec.Name, err)
	}
	host, _ := simcore.SplitHostPort(spec.Endpoint)
	dns := []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost"}
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")}
	if ip := net.ParseIP(host); ip != nil {
		ips = append(ips, ip)
	} else {
		dns = append(dns, host)
	}
	kp, err := x509.NewKeyPair(ca,
		x509.CommonName("kube-apiserver"),
		x509.DNSNames(dns),
		x509.IPAddresses(ips),
		x509.NotBefore(time.Now().Add(-10*time.Second)),
		x509.NotAfter(time.Now().Add(365*24*time.Hour)),
		x509.KeyUsage(stdx509.KeyUsageDigitalSignature|stdx509.KeyUsageKeyEncipherment),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageServerAuth}),
	)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("kube: cluster %s: failed to issue the serving certificate: %w", spec.Name, err)
	}
	return *kp.Certificate, nil
}
