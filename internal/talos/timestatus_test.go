package talos

import (
	"context"
	"errors"
	"net"
	"testing"

	cosiapi "github.com/cosi-project/runtime/api/v1alpha1"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/cosi-project/runtime/pkg/state/impl/inmem"
	"github.com/cosi-project/runtime/pkg/state/impl/namespaced"
	"github.com/cosi-project/runtime/pkg/state/protobuf/server"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/resources/time"
	"google.golang.org/grpc"
)

// insecureClient is a maintenance-mode client of the node at addr.
func insecureClient(t *testing.T, addr string) *client.Client {
	t.Helper()
	var d net.Dialer
	cl, err := Insecure(context.Background(), d.DialContext, addr, WithRetries(Retries{Timing: fastTiming}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// A node without the COSI service (an older Talos) answers Unimplemented:
// that is ErrNoCOSI, which the apply step does not block on.
func TestTimeSyncedWithoutCOSI(t *testing.T) {
	f := &fakeNode{script: map[string][]string{}, calls: map[string]int{}}
	_, err := TimeSynced(context.Background(), insecureClient(t, serveFake(t, f)))
	if !errors.Is(err, ErrNoCOSI) {
		t.Errorf("TimeSynced on a node without COSI: %v, want ErrNoCOSI", err)
	}
}

// The node's TimeStatus, read through machinery's COSI client from the
// real protobuf state service: absent is not synced, then its spec.
func TestTimeSyncedReadsTimeStatus(t *testing.T) {
	st := state.WrapCore(namespaced.NewState(inmem.Build))
	addr := serveFakeWith(t, &fakeNode{script: map[string][]string{}, calls: map[string]int{}}, func(s *grpc.Server) {
		cosiapi.RegisterStateServer(s, server.NewState(st))
	})
	c := insecureClient(t, addr)
	ctx := context.Background()
	if synced, err := TimeSynced(ctx, c); err != nil || synced {
		t.Errorf("no TimeStatus yet: %v, %v; want not synced", synced, err)
	}
	ts := time.NewStatus()
	if err := st.Create(ctx, ts); err != nil {
		t.Fatal(err)
	}
	if synced, err := TimeSynced(ctx, c); err != nil || synced {
		t.Errorf("TimeStatus not synced: %v, %v", synced, err)
	}
	ts.TypedSpec().Synced = true
	if err := st.Update(ctx, ts); err != nil {
		t.Fatal(err)
	}
	if synced, err := TimeSynced(ctx, c); err != nil || !synced {
		t.Errorf("TimeStatus synced: %v, %v", synced, err)
	}
}
