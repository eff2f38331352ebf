package talos

import (
	"crypto/tls"
	stdx509 "crypto/x509"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/siderolabs/crypto/x509"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// clientCert issues a client certificate from ca, as an operator's
// etcdctl would carry one.
func clientCert(t *testing.T, ca *x509.PEMEncodedCertificateAndKey) tls.Certificate {
	t.Helper()
	authority, err := x509.NewCertificateAuthorityFromCertificateAndKey(ca)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := x509.NewKeyPair(authority, x509.CommonName("operator"),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageClientAuth}))
	if err != nil {
		t.Fatal(err)
	}
	return *kp.Certificate
}

// handshake dials addr over TLS trusting only the etcd CA and exchanges a
// byte, which is where TLS 1.3 reports a refused client certificate.
func handshake(addr string, roots *stdx509.CertPool, certs []tls.Certificate) error {
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, Certificates: certs, ServerName: "127.0.0.1"})
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")); err != nil {
		return err
	}
	_, err = conn.Read(make([]byte, 1))
	return err
}

// TestEtcdSpeaksMutualTLS: a control plane's etcd serves its client and
// peer URLs over TLS with a certificate from the cluster's etcd CA
// (cluster.etcd.ca), and refuses at the handshake a client without a
// certificate or with one from another CA (the Kubernetes CA of the same
// config); a client with a certificate from the etcd CA reads and writes.
func TestEtcdSpeaksMutualTLS(t *testing.T) {
	h, _ := singleControlPlane(t)
	n := h.ns.byIP("10.20.0.11")
	n.mu.Lock()
	etcdCA, k8sCA, info := n.f.etcdCA, n.f.k8sCA, n.etcd
	n.mu.Unlock()
	roots := stdx509.NewCertPool()
	roots.AppendCertsFromPEM(etcdCA.Crt)
	for _, raw := range []string{info.clientURL(), info.peerURL()} {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" {
			t.Fatalf("member URL %q is not https", raw)
		}
		if err := handshake(u.Host, roots, nil); err == nil {
			t.Errorf("%s: a client without a certificate was not refused", raw)
		} else {
			t.Logf("%s without a certificate: %v", raw, err)
		}
		if err := handshake(u.Host, roots, []tls.Certificate{clientCert(t, k8sCA)}); err == nil {
			t.Errorf("%s: a client with a certificate from the Kubernetes CA was not refused", raw)
		}
		// The serving certificate verifies against the etcd CA, and a
		// certificate from it is accepted: the exchange reaches the server,
		// which answers (or waits, which the deadline ends) instead of an alert.
		if err := handshake(u.Host, roots, []tls.Certificate{clientCert(t, etcdCA)}); err != nil && !isTimeout(err) {
			t.Errorf("%s: a client with a certificate from the etcd CA: %v", raw, err)
		}
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{info.clientURL()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
		TLS: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{clientCert(t, etcdCA)}}})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx := testCtx(t)
	if _, err := cli.Put(ctx, "/registry/tls-check", "ok"); err != nil {
		t.Fatalf("put with a certificate from the etcd CA: %v", err)
	}
	if got := getKey(t, h, "10.20.0.11", "/registry/tls-check"); got != "ok" {
		t.Fatalf("the member's own client reads %q", got)
	}
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}
