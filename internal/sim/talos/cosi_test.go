package talos

import (
	"context"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/resources/network"
	"github.com/siderolabs/talos/pkg/machinery/resources/runtime"
)

// get is talosctl get NAME: the name resolved against the node's resource
// definitions (its default namespace with it), then a List of that kind.
func get(t *testing.T, c *client.Client, name string) []resource.Resource {
	t.Helper()
	var ns resource.Namespace
	rd, err := c.ResolveResourceKind(testCtx(t), &ns, name)
	if err != nil {
		t.Fatalf("talosctl get %s: %v", name, err)
	}
	list, err := c.COSI.List(testCtx(t), resource.NewMetadata(ns, rd.TypedSpec().Type, "", resource.VersionUndefined))
	if err != nil {
		t.Fatalf("talosctl get %s: %v", name, err)
	}
	return list.Items
}

func ids(items []resource.Resource) string {
	var out []string
	for _, r := range items {
		out = append(out, r.Metadata().ID())
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// A node in maintenance mode answers talosctl get --insecure for what its
// network and machined report before any config: hostname, addresses,
// links, routes, services, stage; it is no member of any cluster yet.
func testCOSIMaintenance(t *testing.T, h *harness, ip, host string) {
	c := h.insecure(ip)
	rds := ids(get(t, c, "rd"))
	for _, typ := range []string{"Members.cluster.talos.dev", "Affiliates.cluster.talos.dev", "MachineStatuses.runtime.talos.dev",
		"HostnameStatuses.net.talos.dev", "Nodenames.kubernetes.talos.dev", "NodeAddresses.net.talos.dev", "AddressStatuses.net.talos.dev",
		"LinkStatuses.net.talos.dev", "RouteStatuses.net.talos.dev", "StaticPodStatuses.kubernetes.talos.dev", "EtcdMembers.etcd.talos.dev",
		"Services.v1alpha1.talos.dev", "TimeStatuses.v1alpha1.talos.dev", "ResourceDefinitions.meta.cosi.dev", "Namespaces.meta.cosi.dev", "Diagnostics.runtime.talos.dev"} {
		if !strings.Contains(","+rds+",", ","+strings.ToLower(typ)+",") { // a definition's ID is its type in lower case
			t.Fatalf("talosctl get rd lacks %s: %s", typ, rds)
		}
	}
	if got := ids(get(t, c, "namespaces")); !strings.Contains(got, "cluster") || !strings.Contains(got, "network") {
		t.Fatalf("namespaces = %s", got)
	}
	if got := get(t, c, "members"); len(got) != 0 {
		t.Fatalf("members in maintenance = %s", ids(got))
	}
	hs, err := safe.StateGetByID[*network.HostnameStatus](testCtx(t), c.COSI, network.HostnameID)
	if err != nil || hs.TypedSpec().Hostname != host {
		t.Fatalf("hostname = %v, %v", hs, err)
	}
	want := network.AddressID("eth0", netip.MustParsePrefix(ip+"/24"))
	if got := ids(get(t, c, "addresses")); !strings.Contains(got, want) {
		t.Fatalf("addresses = %s, want %s", got, want)
	}
	routes, err := safe.StateListAll[*network.RouteStatus](testCtx(t), c.COSI)
	gw := ""
	for r := range routes.All() {
		if !r.TypedSpec().Destination.IsValid() {
			gw = r.TypedSpec().Gateway.String()
		}
	}
	if err != nil || gw != ip[:strings.LastIndex(ip, ".")]+".1" {
		t.Fatalf("default route via %q, %v", gw, err)
	}
	eth, err := safe.StateGetByID[*network.LinkStatus](testCtx(t), c.COSI, "eth0")
	if err != nil || !eth.TypedSpec().LinkState || eth.TypedSpec().HardwareAddr.String()[:8] != "bc:24:11" {
		t.Fatalf("eth0 = %v, %v", eth, err)
	}
	if got := ids(get(t, c, "services")); got != "dashboard,machined,syslogd,udevd" {
		t.Fatalf("services in maintenance = %s", got)
	}
	v, err := c.Version(testCtx(t))
	if err != nil || !regexp.MustCompile(`^[0-9a-f]{8}$`).MatchString(v.Messages[0].Version.Sha) {
		t.Fatalf("Version = %v, %v", v, err)
	}
}

// stages follows a node's MachineStatus in the state its COSI server
// serves, from now on, and returns the stages seen so far when asked.
func stages(t *testing.T, n *node) func() []runtime.MachineStage {
	ch := make(chan state.Event, 64)
	md := resource.NewMetadata(runtime.NamespaceName, runtime.MachineStatusType, runtime.MachineStatusID, resource.VersionUndefined)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := n.res.st.Watch(ctx, md, ch); err != nil {
		t.Fatal(err)
	}
	var seen []runtime.MachineStage
	return func() []runtime.MachineStage {
		for {
			select {
			case ev := <-ch:
				if ms, ok := ev.Resource.(*runtime.MachineStatus); ok && ev.Type != state.Destroyed {
					if s := ms.TypedSpec().Stage; len(seen) == 0 || seen[len(seen)-1] != s {
						seen = append(seen, s)
					}
				}
			default:
				return seen
			}
		}
	}
}
