package talos

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"golang.org/x/crypto/ssh"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/tripod-dev/tripod/internal/retry"
)

// fakeNode is a MachineService whose answers a test scripts per method:
// each call takes the next entry of its script ("" answers, "hang" waits
// until the caller gives up, a code name answers that code); past the end
// it answers.
type fakeNode struct {
	machine.UnimplementedMachineServiceServer
	mu           sync.Mutex
	script       map[string][]string
	calls        map[string]int
	bootstrapped int
}

func (f *fakeNode) next(ctx context.Context, method string) error {
	f.mu.Lock()
	n := f.calls[method]
	f.calls[method]++
	step := ""
	if n < len(f.script[method]) {
		step = f.script[method][n]
	}
	f.mu.Unlock()
	switch step {
	case "":
		return nil
	case "hang":
		<-ctx.Done()
		return ctx.Err()
	case "unavailable":
		return status.Error(codes.Unavailable, "connection error: scripted")
	}
	return status.Error(codes.Internal, "unknown script step "+step)
}

func (f *fakeNode) Version(ctx context.Context, _ *emptypb.Empty) (*machine.VersionResponse, error) {
	if err := f.next(ctx, "Version"); err != nil {
		return nil, err
	}
	return &machine.VersionResponse{Messages: []*machine.Version{{}}}, nil
}

// Bootstrap lands before its scripted answer, as a node that bootstrapped
// and whose reply was lost; after that it answers AlreadyExists.
func (f *fakeNode) Bootstrap(ctx context.Context, _ *machine.BootstrapRequest) (*machine.BootstrapResponse, error) {
	f.mu.Lock()
	done := f.bootstrapped > 0
	f.bootstrapped++
	f.mu.Unlock()
	if done {
		return nil, status.Error(codes.AlreadyExists, "etcd data directory is not empty")
	}
	if err := f.next(ctx, "Bootstrap"); err != nil {
		return nil, err
	}
	return &machine.BootstrapResponse{}, nil
}

// serveFake serves f over TLS on loopback and returns its address.
func serveFake(t *testing.T, f *fakeNode) string {
	t.Helper()
	return serveFakeWith(t, f, func(*grpc.Server) {})
}

// serveFakeWith is serveFake with more services registered by register.
func serveFakeWith(t *testing.T, f *fakeNode, register func(*grpc.Server)) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})))
	machine.RegisterMachineServiceServer(srv, f)
	register(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

var fastTiming = retry.Timing{Scale: 0.001, MinInterval: time.Millisecond, MinAttempt: 200 * time.Millisecond}

func fakeClient(t *testing.T, addr string, c *retry.Counter) func() error {
	t.Helper()
	var d net.Dialer
	cl, err := Insecure(context.Background(), d.DialContext, addr, WithRetries(Retries{Counter: c, Timing: fastTiming}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return func() error { _, err := cl.Version(context.Background()); return err }
}

func TestReadsAreCutRetriedAndCounted(t *testing.T) {
	f := &fakeNode{script: map[string][]string{"Version": {"hang", "unavailable"}}, calls: map[string]int{}}
	var c retry.Counter
	version := fakeClient(t, serveFake(t, f), &c)
	start := time.Now()
	if err := version(); err != nil {
		t.Fatalf("Version after a hang and an Unavailable: %v", err)
	}
	if f.calls["Version"] != 3 || c.Counts()["talos"] != 2 {
		t.Errorf("calls %d, retries %v; want 3 calls and 2 retries counted", f.calls["Version"], c.Counts())
	}
	if time.Since(start) > 5*time.Second {
		t.Error("the hung attempt was not cut by its own deadline")
	}
}

func TestUnansweredCallsAreNotRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: the node is not there yet
	var c retry.Counter
	if err := fakeClient(t, addr, &c)(); Code(err) != codes.Unavailable {
		t.Fatalf("err %v, want Unavailable", err)
	}
	if n := c.Counts()["talos"]; n != 0 {
		t.Errorf("a refused connection was retried %d times: a probe asks once", n)
	}
}

// TestBootstrapLandsOnce: the first Bootstrap lands and hangs; the client
// cuts it, is not resent by the interceptor, and Bootstrap's own retry
// meets AlreadyExists on the same node, which is success.
func TestBootstrapLandsOnce(t *testing.T) {
	f := &fakeNode{script: map[string][]string{"Bootstrap": {"hang"}}, calls: map[string]int{}}
	var c retry.Counter
	var d net.Dialer
	cl, err := Insecure(context.Background(), d.DialContext, serveFake(t, f), WithRetries(Retries{Counter: &c, Timing: fastTiming}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	p := retry.Policy{API: "talos", Counter: &c, Initial: time.Millisecond, PerAttempt: 300 * time.Millisecond, Deadline: 10 * time.Second}
	already, err := Bootstrap(context.Background(), cl, p)
	if err != nil || !already {
		t.Fatalf("already %v, err %v; want success through AlreadyExists", already, err)
	}
	if f.bootstrapped != 2 || c.Counts()["talos"] != 1 {
		t.Errorf("%d Bootstrap calls, %v retries; want 2 calls (one landed) and 1 retry", f.bootstrapped, c.Counts())
	}
}

// A jump host whose sshd forbids the forward is a refusal the wait must
// not poll out: the call fails fatally with the host's refusal, while a
// host that cannot connect yet (its private leg is down) stays
// Unavailable, a node not there yet.
func TestForwardRefusalIsFatal(t *testing.T) {
	for _, c := range []struct {
		reason ssh.RejectionReason
		fatal  bool
	}{{ssh.Prohibited, true}, {ssh.ConnectionFailed, false}} {
		refuse := func(context.Context, string, string) (net.Conn, error) {
			return nil, fmt.Errorf("failed to reach 10.20.0.50:50000 through SSH: %w",
				fmt.Errorf("through pve1: %w", &ssh.OpenChannelError{Reason: c.reason, Message: "test"}))
		}
		cl, err := Insecure(context.Background(), refuse, "10.20.0.50:50000", WithRetries(Retries{Timing: fastTiming}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = cl.Version(context.Background())
		cl.Close()
		var oc *ssh.OpenChannelError
		if got := Classify(err).Class == retry.Fatal; got != c.fatal || (c.fatal && !errors.As(err, &oc)) {
			t.Errorf("%v: %v, classified fatal %v; want fatal %v carrying the refusal", c.reason, err, got, c.fatal)
		}
	}
}
