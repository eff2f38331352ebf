package talos

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	machinecfg "github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/siderolabs/talos/pkg/machinery/resources/runtime"
	timeres "github.com/siderolabs/talos/pkg/machinery/resources/time"
	"github.com/siderolabs/talos/pkg/machinery/role"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// synced reads the node's TimeStatus through machinery's COSI client.
func synced(t *testing.T, c *client.Client) bool {
	t.Helper()
	ok, err := timeSynced(c)
	if err != nil {
		t.Fatalf("TimeStatus: %v", err)
	}
	return ok
}

func timeSynced(c *client.Client) (bool, error) {
	ts, err := safe.StateGetByID[*timeres.Status](context.Background(), c.COSI, timeres.StatusID)
	if err != nil {
		return false, err
	}
	return ts.TypedSpec().Synced, nil
}

// awaitSynced waits until the node's TimeStatus says want. Right after the
// node enters a mode, its apid may not answer yet and its time controller
// may not have written the resource: both are waited out, as talosctl's
// own wait does.
func awaitSynced(t *testing.T, c *client.Client, want bool) {
	t.Helper()
	ctx := testCtx(t)
	for {
		got, err := timeSynced(c)
		if err == nil && got == want {
			return
		}
		if serr := simcore.Sleep(ctx, 10*time.Millisecond); serr != nil {
			t.Fatalf("TimeStatus never became synced=%v: last %v, %v", want, got, err)
		}
	}
}

// TimeStatus follows the node's egress, in maintenance mode (readable
// without a client certificate) and configured (mutual TLS, os:reader is
// enough); the install waits for egress and logs why.
func TestTimeStatusFollowsEgress(t *testing.T) {
	h := newHarness(t, simcore.Instant, 1, []string{"10.20.0.11"})
	h.env.SetGateways(nil) // nobody NATs: no egress
	h.ns.Boot(vm(1001, "cp-1", "10.20.0.11", "DC2"))
	if err := h.ns.AwaitMode(testCtx(t), "10.20.0.11", ModeMaintenance); err != nil {
		t.Fatal(err)
	}
	c := h.insecure("10.20.0.11")
	awaitSynced(t, c, false)
	time.Sleep(50 * time.Millisecond)
	if synced(t, c) {
		t.Fatal("synced without egress")
	}
	ms, err := safe.StateGetByID[*runtime.MachineStatus](testCtx(t), c.COSI, runtime.MachineStatusID)
	if err != nil || ms.TypedSpec().Stage != runtime.MachineStageMaintenance || len(ms.TypedSpec().Status.UnmetConditions) == 0 {
		t.Fatalf("maintenance MachineStatus = %v, %v", ms, err)
	}
	h.env.SetGateways(natGateway)
	awaitSynced(t, c, true)

	h.env.SetGateways(nil)
	cfg := h.config(machinecfg.TypeControlPlane, "cp-1", "10.20.0.11", "DC2")
	if _, err := c.ApplyConfiguration(testCtx(t), &machine.ApplyConfigurationRequest{Data: cfg}); err != nil {
		t.Fatal(err)
	}
	image := h.ns.byIP("10.20.0.11").f.installImage
	registry, _ := simcore.LookupPublic(simcore.RegistryHost(image))
	want := `error pulling image "` + image + `": dial tcp ` + registry.String() + `:443: i/o timeout`
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for !strings.Contains(strings.Join(h.ns.Log("10.20.0.11"), "\n"), want) {
		if err := simcore.Sleep(ctx, 10*time.Millisecond); err != nil {
			t.Fatalf("no pull error in the node's log: %q", h.ns.Log("10.20.0.11"))
		}
	}
	time.Sleep(50 * time.Millisecond) // several install phases in the instant profile
	if m := h.ns.byIP("10.20.0.11").Mode(); m != ModeInstalling {
		t.Fatalf("mode without egress = %s, want installing", m)
	}
	if st := h.ns.State().Nodes[0]; st.InstallError != want || st.TimeSynced {
		t.Fatalf("state = %+v", st)
	}
	h.env.SetGateways(natGateway)
	if err := h.ns.AwaitMode(testCtx(t), "10.20.0.11", ModeConfigured); err != nil {
		t.Fatal(err)
	}

	reader := h.readerClient("10.20.0.11")
	awaitSynced(t, reader, true)
	h.env.SetGateways(nil)
	awaitSynced(t, reader, false)
	h.env.SetGateways(natGateway)
	awaitSynced(t, reader, true)
	if _, err := safe.StateGetByID[*timeres.Status](probeCtx(t), h.insecure("10.20.0.11").COSI, timeres.StatusID); code(err) != codes.Unavailable {
		t.Fatalf("COSI without a client certificate once configured: %v", err)
	}
	ts := timeres.NewStatus()
	if err := reader.COSI.Create(testCtx(t), ts); err == nil || !strings.Contains(err.Error(), "code = PermissionDenied") {
		t.Fatalf("COSI Create as reader: %v", err)
	}
}

// readerClient is a talosconfig client with an os:reader certificate.
func (h *harness) readerClient(ip string) *client.Client {
	h.t.Helper()
	bundle := h.input.Options.SecretsBundle
	crt, err := bundle.GenerateTalosAPIClientCertificate(role.MakeSet(role.Reader))
	if err != nil {
		h.t.Fatal(err)
	}
	c, err := client.New(context.Background(), client.WithConfig(clientconfig.NewConfig("reader", []string{ip}, bundle.Certs.OS.Crt, crt)),
		client.WithGRPCDialOptions(grpc.WithContextDialer(h.dial)))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}
