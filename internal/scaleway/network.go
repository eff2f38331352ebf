package scaleway

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	baremetalv3 "github.com/scaleway/scaleway-sdk-go/api/baremetal/v3"
	vpc "github.com/scaleway/scaleway-sdk-go/api/vpc/v2"
	"github.com/scaleway/scaleway-sdk-go/scw"
)

// Private network changes settle in seconds to minutes (real time, scaled).
const (
	networkPoll    = 5 * time.Second
	networkTimeout = 20 * time.Minute
)

// Attachments lists an Elastic Metal server's private network attachments.
func (s *Session) Attachments(ctx context.Context, zone scw.Zone, serverID string) ([]*baremetalv3.ServerPrivateNetwork, error) {
	var out []*baremetalv3.ServerPrivateNetwork
	err := s.Read(ctx, func(ctx context.Context) error {
		r, err := s.MetalPN.ListServerPrivateNetworks(&baremetalv3.PrivateNetworkAPIListServerPrivateNetworksRequest{Zone: zone, ServerID: &serverID}, scw.WithContext(ctx), scw.WithAllPages())
		out = listOrNil(r, err, func(r *baremetalv3.ListServerPrivateNetworksResponse) []*baremetalv3.ServerPrivateNetwork {
			return r.ServerPrivateNetworks
		})
		return err
	})
	return out, Wrap(err, "list the private networks of server %s", serverID)
}

// AttachedTo is the attachment of atts to private network pn that is not
// being detached, or nil.
func AttachedTo(atts []*baremetalv3.ServerPrivateNetwork, pn string) *baremetalv3.ServerPrivateNetwork {
	for _, a := range atts {
		if a.PrivateNetworkID == pn && a.Status != baremetalv3.ServerPrivateNetworkStatusDetaching {
			return a
		}
	}
	return nil
}

// Attach sends one attach of serverID to pn (the caller looks for it among
// the attachments before sending it again).
func (s *Session) Attach(ctx context.Context, zone scw.Zone, serverID, pn string) error {
	_, err := s.MetalPN.AddServerPrivateNetwork(&baremetalv3.PrivateNetworkAPIAddServerPrivateNetworkRequest{Zone: zone, ServerID: serverID, PrivateNetworkID: pn}, scw.WithContext(ctx))
	return Evidence(err)
}

// Attachment reads serverID's attachment to pn once: done with the VLAN
// Scaleway assigned once attached, else the attachment's status; an error
// for an attachment gone, in error or locked.
func (s *Session) Attachment(ctx context.Context, zone scw.Zone, serverID, pn string) (done bool, status string, vlan int, err error) {
	atts, err := s.Attachments(ctx, zone, serverID)
	if err != nil {
		return false, "", 0, err
	}
	a := AttachedTo(atts, pn)
	switch {
	case a == nil:
		return false, "", 0, fmt.Errorf("the attachment disappeared")
	case a.Status == baremetalv3.ServerPrivateNetworkStatusError || a.Status == baremetalv3.ServerPrivateNetworkStatusLocked:
		return false, "", 0, fmt.Errorf("the attachment is %s", a.Status)
	case a.Status != baremetalv3.ServerPrivateNetworkStatusAttached || a.Vlan == nil:
		return false, string(a.Status), 0, nil
	}
	return true, "", int(*a.Vlan), nil
}

// WaitAttached waits until serverID is attached to pn (name is the
// condition waited for) and returns the VLAN Scaleway assigned it.
func (s *Session) WaitAttached(ctx context.Context, progress Progress, name string, zone scw.Zone, serverID, pn string) (int, error) {
	vlan := 0
	err := s.Wait(ctx, progress, name, networkPoll, networkTimeout, func(ctx context.Context) (bool, string, error) {
		done, status, v, err := s.Attachment(ctx, zone, serverID, pn)
		vlan = v
		return done, status, err
	})
	return vlan, err
}

// NamedPrivateNetwork finds region's private network named name and
// carrying tag; "" if none.
func (s *Session) NamedPrivateNetwork(ctx context.Context, region scw.Region, name, tag string) (string, error) {
	var out string
	err := s.Read(ctx, func(ctx context.Context) error {
		r, err := s.VPC.ListPrivateNetworks(&vpc.ListPrivateNetworksRequest{Region: region, Name: &name, ProjectID: &s.ProjectID, Tags: []string{tag}}, scw.WithContext(ctx), scw.WithAllPages())
		for _, p := range listOrNil(r, err, func(r *vpc.ListPrivateNetworksResponse) []*vpc.PrivateNetwork { return r.PrivateNetworks }) {
			if p.Name == name && out == "" {
				out = p.ID
			}
		}
		return err
	})
	return out, Wrap(err, "list the private networks named %s in %s", name, region)
}

// MetalServerIDs lists the IDs of the project's Elastic Metal servers in
// zone carrying tag.
func (s *Session) MetalServerIDs(ctx context.Context, zone scw.Zone, tag string) ([]string, error) {
	var ids []string
	err := s.Read(ctx, func(ctx context.Context) error {
		ids = nil
		r, err := s.Metal.ListServers(&baremetal.ListServersRequest{Zone: zone, Tags: []string{tag}, ProjectID: &s.ProjectID}, scw.WithContext(ctx), scw.WithAllPages())
		for _, srv := range listOrNil(r, err, func(r *baremetal.ListServersResponse) []*baremetal.Server { return r.Servers }) {
			ids = append(ids, srv.ID)
		}
		return err
	})
	return ids, Wrap(err, "list the Elastic Metal servers tagged %s in %s", tag, zone)
}

// CreatePrivateNetwork sends one creation of region's private network name
// on subnet, tagged tag. The error is the SDK's, for the caller to tell a
// refusal from a lost answer.
func (s *Session) CreatePrivateNetwork(ctx context.Context, region scw.Region, name, tag string, subnet netip.Prefix) (string, error) {
	ipnet := scw.IPNet{IPNet: net.IPNet{IP: subnet.Addr().AsSlice(), Mask: net.CIDRMask(subnet.Bits(), subnet.Addr().BitLen())}}
	p, err := s.VPC.CreatePrivateNetwork(&vpc.CreatePrivateNetworkRequest{Region: region, Name: name, ProjectID: s.ProjectID, Tags: []string{tag}, Subnets: []scw.IPNet{ipnet}}, scw.WithContext(ctx))
	if err != nil {
		return "", err
	}
	return p.ID, nil
}
