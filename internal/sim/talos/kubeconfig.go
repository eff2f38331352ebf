package talos

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	stdx509 "crypto/x509"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/siderolabs/crypto/x509"
	"github.com/siderolabs/talos/pkg/machinery/api/common"
	"github.com/siderolabs/talos/pkg/machinery/config/config"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Kubeconfig streams the admin kubeconfig as machined does: one
// common.Data holding a .tar.gz with a single file named "kubeconfig"
// (the Copy protocol's format), which client.Kubeconfig unpacks.
func (a *machineAPI) Kubeconfig(_ *emptypb.Empty, srv grpc.ServerStreamingServer[common.Data]) error {
	if err := a.n.checkControlPlane("kubeconfig"); err != nil {
		return err
	}
	a.n.mu.Lock()
	cfg := a.n.cfg
	a.n.mu.Unlock()
	kc, err := adminKubeconfig(cfg.Cluster())
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "kubeconfig", Size: int64(len(kc)), ModTime: time.Now(), Mode: 0o600}); err != nil {
		return err
	}
	if _, err := tw.Write(kc); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return srv.Send(&common.Data{Bytes: buf.Bytes()})
}

// adminKubeconfig renders the kubeconfig Talos generates for the admin:
// server = cluster.controlPlane.endpoint, a client certificate from the
// Kubernetes CA with cluster.adminKubeconfig's common name, organization
// (system:masters) and lifetime, and the context admin@<cluster>.
func adminKubeconfig(c config.ClusterConfig) ([]byte, error) {
	ca, err := x509.NewCertificateAuthorityFromCertificateAndKey(c.IssuingCA())
	if err != nil {
		return nil, fmt.Errorf("failed to load the Kubernetes CA: %w", err)
	}
	admin := c.AdminKubeconfig()
	kp, err := x509.NewKeyPair(ca,
		x509.CommonName(admin.CommonName()),
		x509.Organization(admin.CertOrganization()),
		x509.NotBefore(time.Now().Add(-10*time.Second)),
		x509.NotAfter(time.Now().Add(admin.CertLifetime())),
		x509.KeyUsage(stdx509.KeyUsageDigitalSignature|stdx509.KeyUsageKeyEncipherment),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageClientAuth}),
	)
	if err != nil {
		return nil, fmt.Errorf("failed to issue the admin certificate: %w", err)
	}
	b64 := func(p []byte) string { return base64.StdEncoding.EncodeToString(p) }
	name, user := c.Name(), "admin@"+c.Name()
	return fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority-data: %[3]s
users:
- name: %[4]s
  user:
    client-certificate-data: %[5]s
    client-key-data: %[6]s
contexts:
- context:
    cluster: %[1]s
    namespace: default
    user: %[4]s
  name: %[4]s
current-context: %[4]s
`, name, c.Endpoint().String(), b64(c.IssuingCA().Crt), user, b64(kp.CrtPEM), b64(kp.KeyPEM)), nil
}
