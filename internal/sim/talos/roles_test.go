package talos

import (
	"context"
	"crypto/tls"
	stdx509 "crypto/x509"
	"testing"

	"github.com/siderolabs/crypto/x509"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"github.com/siderolabs/talos/pkg/machinery/role"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

// testRoles checks apid's authentication and machined's authorization
// with client certificates other than the admin's.
func testRoles(t *testing.T, h *harness) {
	ctx := testCtx(t)
	bundle := h.input.Options.SecretsBundle
	crt, err := bundle.GenerateTalosAPIClientCertificate(role.MakeSet(role.Reader))
	if err != nil {
		t.Fatal(err)
	}
	reader, err := client.New(ctx, client.WithConfig(clientconfig.NewConfig("reader", []string{"10.20.0.11"}, bundle.Certs.OS.Crt, crt)),
		client.WithGRPCDialOptions(grpc.WithContextDialer(h.dial)))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if _, err := reader.ServiceList(ctx); err != nil {
		t.Fatalf("reader ServiceList: %v", err)
	}
	if _, err := reader.Kubeconfig(ctx); code(err) != codes.PermissionDenied {
		t.Fatalf("reader Kubeconfig: %v", err)
	}
	if _, err := reader.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: []byte("x")}); code(err) != codes.PermissionDenied {
		t.Fatalf("reader ApplyConfiguration outside maintenance: %v", err)
	}
	// The target node authorizes a proxied call with the caller's roles.
	if _, err := reader.MachineClient.Reboot(client.WithNode(ctx, "10.20.0.21"), &machine.RebootRequest{}); code(err) != codes.PermissionDenied {
		t.Fatalf("reader Reboot through the proxy: %v", err)
	}

	ca, err := x509.NewCertificateAuthorityFromCertificateAndKey(bundle.Certs.OS)
	if err != nil {
		t.Fatal(err)
	}
	serverOnly, err := x509.NewKeyPair(ca, x509.Organization(string(role.Admin)),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageServerAuth}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tlsClient(t, h, bundle.Certs.OS.Crt, *serverOnly.Certificate).Version(ctx); code(err) != codes.Unavailable {
		t.Fatalf("admin certificate without the client auth usage: %v", err)
	}
	stranger, err := x509.NewSelfSignedCertificateAuthority(x509.ECDSA(true))
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := x509.NewKeyPair(stranger, x509.Organization(string(role.Admin)),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageClientAuth}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tlsClient(t, h, bundle.Certs.OS.Crt, *foreign.Certificate).Version(ctx); code(err) != codes.Unavailable {
		t.Fatalf("certificate from another CA: %v", err)
	}
}

func tlsClient(t *testing.T, h *harness, caPEM []byte, cert tls.Certificate) *client.Client {
	t.Helper()
	pool := stdx509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	c, err := client.New(context.Background(), client.WithTLSConfig(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}),
		client.WithEndpoints("10.20.0.11"), client.WithGRPCDialOptions(grpc.WithContextDialer(h.dial)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testEtcdOperations covers the smaller etcd APIs on the shared cluster.
func testEtcdOperations(t *testing.T, h *harness) {
	ctx := testCtx(t)
	st, err := h.secure("10.20.0.11").EtcdStatus(ctx)
	if err != nil || st.Messages[0].MemberStatus.Leader == 0 {
		t.Fatalf("EtcdStatus = %v, %v", st, err)
	}
	if err := h.secure("10.20.0.11").EtcdRemoveMemberByID(ctx, &machine.EtcdRemoveMemberByIDRequest{MemberId: 42}); code(err) != codes.NotFound {
		t.Fatalf("removing an unknown member: %v", err)
	}
	for _, n := range lab[:3] {
		c := h.secure(n.ip)
		resp, err := c.EtcdForfeitLeadership(ctx, &machine.EtcdForfeitLeadershipRequest{})
		if err != nil {
			t.Fatalf("forfeit on %s: %v", n.name, err)
		}
		m := resp.Messages[0].Member
		if m == "" {
			continue // a follower has nothing to forfeit
		}
		if m == n.name {
			t.Fatalf("%s handed leadership to itself", n.name)
		}
		if again, err := c.EtcdForfeitLeadership(ctx, &machine.EtcdForfeitLeadershipRequest{}); err != nil || again.Messages[0].Member != "" {
			t.Fatalf("%s still leads after forfeiting: %v, %v", n.name, again, err)
		}
		break
	}
	if err := h.ns.AwaitEtcdMembers(ctx, 3); err != nil {
		t.Fatal(err)
	}
}
