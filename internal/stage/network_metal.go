package stage

import (
	"context"
	"errors"
	"fmt"
	"sort"

	baremetalv3 "github.com/scaleway/scaleway-sdk-go/api/baremetal/v3"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// metalPrivateNetwork attaches h's Elastic Metal server to its region's
// private network (network_metal_region.go), and publishes the VLAN Scaleway
// assigned it. Private networks are regional (VPC v2): an inventory spread
// over regions gets one per region, and Scaleway does not join them. f is
// nil while the server is only planned.
func (s *network) metalPrivateNetwork(ctx context.Context, st *run.Step, c *scaleway.Session, h inventory.HostPlan, f *HostFact) error {
	e := s.env
	zone, err := scaleway.MetalZone(h.Placement)
	if err != nil {
		return err
	}
	region := scaleway.RegionOf(zone)
	regions := metalRegions(e.Layout())
	s.warnOnce(st, "regions", len(regions) > 1, "Elastic Metal private networks are regional: this inventory gets one in each of %v, and Scaleway does not join them; corosync and Ceph traffic between regions needs a route you provide", regions)
	pn, err := s.regionPrivateNetwork(ctx, st, c, region)
	planned := errors.Is(err, run.ErrPlanned)
	if err != nil && !planned {
		return err
	}
	var att *baremetalv3.ServerPrivateNetwork
	if f != nil && pn != "" {
		atts, err := c.Attachments(ctx, scw.Zone(f.Zone), f.ServerID)
		if err != nil {
			return err
		}
		att = scaleway.AttachedTo(atts, pn)
	}
	if att == nil {
		if err := s.attach(ctx, st, c, f, h, pn); errors.Is(err, run.ErrPlanned) {
			planned = true
		} else if err != nil {
			return err
		}
	}
	if planned {
		return run.ErrPlanned
	}
	vlan, err := s.waitAttached(ctx, st, c, *f, h, pn)
	if err != nil {
		return err
	}
	factsOf(st).SetVLAN(h.Name, vlan)
	st.Skip("server %s (%s) is attached to private network %s on VLAN %d", f.ServerID, h.Name, privateNetworkName(e.Cluster()), vlan)
	return nil
}

// metalRegions lists the regions of the inventory's Elastic Metal hosts.
func metalRegions(l *inventory.Layout) []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range l.Hosts {
		z, err := scaleway.MetalZone(h.Placement)
		if h.Provider != inventory.ElasticMetal || err != nil {
			continue
		}
		if r := string(scaleway.RegionOf(z)); !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// attach attaches f's server to pn (f is nil while the server is planned,
// pn "" while the network is). An attach without an answer is looked for
// among the server's attachments before it is sent again.
func (s *network) attach(ctx context.Context, st *run.Step, c *scaleway.Session, f *HostFact, h inventory.HostPlan, pn string) error {
	e := s.env
	label := "the server of " + h.Name
	if f != nil {
		label = fmt.Sprintf("server %s (%s)", f.ServerID, h.Name)
	}
	m := run.Mutation{API: "scaleway", Verb: "attach", Object: fmt.Sprintf("%s to private network %s", label, privateNetworkName(e.Cluster())), Detail: pn, Request: scaleway.ReqMetalAttachPN}
	if f == nil || pn == "" {
		return st.Mutate(ctx, m, nil) // only planned: Mutate does not call fn in a dry run
	}
	return sendOnce(ctx, st, c, m, func(ctx context.Context) error {
		return c.Attach(ctx, scw.Zone(f.Zone), f.ServerID, pn)
	}, func(ctx context.Context) (bool, error) {
		atts, err := c.Attachments(ctx, scw.Zone(f.Zone), f.ServerID)
		return scaleway.AttachedTo(atts, pn) != nil, err
	})
}

// waitAttached waits until f's server is attached to pn and returns the
// VLAN Scaleway assigned it. A dry run reads once instead of waiting.
func (s *network) waitAttached(ctx context.Context, st *run.Step, c *scaleway.Session, f HostFact, h inventory.HostPlan, pn string) (int, error) {
	zone := scw.Zone(f.Zone)
	if st.DryRun() {
		done, status, vlan, err := c.Attachment(ctx, zone, f.ServerID, pn)
		if err == nil && !done {
			st.Skip("server %s (%s) is still %s to private network %s", f.ServerID, h.Name, status, pn)
			return 0, run.ErrPlanned
		}
		return vlan, err
	}
	name := fmt.Sprintf("server %s (%s) attached to private network %s", f.ServerID, h.Name, pn)
	return c.WaitAttached(ctx, st.Progress, name, zone, f.ServerID, pn)
}
