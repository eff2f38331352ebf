package scaleway

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// State is what the simulator holds, for the admin endpoint and for tests
// that assert on state rather than logs.
type State struct {
	Servers         []ServerState         `json:"servers"`
	Services        []ServiceState        `json:"services"`
	RPNGroups       []RPNGroupState       `json:"rpn_groups"`
	PrivateNetworks []PrivateNetworkState `json:"private_networks"` // server attachments (baremetal/v3)
	Networks        []NetworkState        `json:"networks"`         // VPC v2 private networks
	VPCs            []VPCState            `json:"vpcs"`
	SSHKeys         []SSHKeyState         `json:"ssh_keys"`
	Stock           map[string]string     `json:"stock_overrides,omitempty"` // "OFFER@placement"
}

// ServerState is one server of either provider.
type ServerState struct {
	ID            string   `json:"id"`
	Provider      string   `json:"provider"` // dedibox or elastic-metal
	Offer         string   `json:"offer"`
	Datacenter    string   `json:"datacenter,omitempty"` // Dedibox only
	Zone          string   `json:"zone"`
	Status        string   `json:"status"`
	InstallStatus string   `json:"install_status"` // "" when never installed
	OS            string   `json:"os"`             // of the current or last install
	Hostname      string   `json:"hostname"`
	Name          string   `json:"name,omitempty"` // Elastic Metal only
	Tags          []string `json:"tags"`
	PublicIPv4    string   `json:"public_ipv4"`
	PublicIPv6    string   `json:"public_ipv6"`
	ProjectID     string   `json:"project_id"`
	Visible       bool     `json:"visible"` // false while a Dedibox order is not delivered
}

// ServiceState is a Dedibox order.
type ServiceState struct {
	ID       uint64 `json:"id"`
	Status   string `json:"status"`
	ServerID uint64 `json:"server_id"`
	Offer    string `json:"offer"`
}

// RPNGroupState is a Dedibox RPNv2 group.
type RPNGroupState struct {
	ID      uint64           `json:"id"`
	Name    string           `json:"name"`
	Type    string           `json:"type"`
	Status  string           `json:"status"`
	Members []RPNMemberState `json:"members"`
}

// RPNMemberState is one server in an RPNv2 group.
type RPNMemberState struct {
	ID       uint64 `json:"id"`
	ServerID string `json:"server_id"`
	Vlan     string `json:"vlan"`
	Status   string `json:"status"`
}

// PrivateNetworkState is an Elastic Metal server's private network
// attachment (the name predates the VPC model; see NetworkState).
type PrivateNetworkState struct {
	ID               string `json:"id"`
	ServerID         string `json:"server_id"`
	PrivateNetworkID string `json:"private_network_id"`
	Zone             string `json:"zone"`
	Vlan             uint32 `json:"vlan"`
	Status           string `json:"status"`
}

// NetworkState is a regional VPC v2 private network.
type NetworkState struct {
	ID        string   `json:"id"`
	Region    string   `json:"region"`
	VPCID     string   `json:"vpc_id"`
	Name      string   `json:"name"`
	Tags      []string `json:"tags"`
	Subnets   []string `json:"subnets"`  // CIDRs, IPv4 first
	Attached  []string `json:"attached"` // IDs of the servers attached, in any status
	ProjectID string   `json:"project_id"`
}

// VPCState is a VPC v2 VPC.
type VPCState struct {
	ID        string `json:"id"`
	Region    string `json:"region"`
	Name      string `json:"name"`
	IsDefault bool   `json:"is_default"`
}

// SSHKeyState is an IAM SSH key.
type SSHKeyState struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// State returns everything the simulator holds, advanced to now.
func (s *Sim) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.env.Now().UTC()
	s.advance(now)
	st := State{
		Servers: []ServerState{}, Services: []ServiceState{}, RPNGroups: []RPNGroupState{}, PrivateNetworks: []PrivateNetworkState{},
		Networks: s.networkStates(), VPCs: []VPCState{}, SSHKeys: []SSHKeyState{},
	}
	for _, d := range s.w.Dedibox {
		st.Servers = append(st.Servers, s.dState(d, now))
	}
	for _, e := range s.w.EM {
		st.Servers = append(st.Servers, s.emState(e, now))
	}
	for _, sv := range s.w.Services {
		o, _ := dOfferByID(sv.OfferID)
		st.Services = append(st.Services, ServiceState{ID: sv.ID, Status: s.serviceStatus(sv, now), ServerID: sv.ServerID, Offer: o.Name})
	}
	for _, g := range s.w.Groups {
		gs := RPNGroupState{ID: g.ID, Name: g.Name, Type: g.Type, Status: s.groupStatus(g), Members: []RPNMemberState{}}
		for _, m := range g.Members {
			gs.Members = append(gs.Members, RPNMemberState{ID: m.ID, ServerID: itoa(m.ServerID), Vlan: m.Vlan, Status: s.memberStatus(m)})
		}
		st.RPNGroups = append(st.RPNGroups, gs)
	}
	for _, p := range s.w.PNs {
		st.PrivateNetworks = append(st.PrivateNetworks, PrivateNetworkState{ID: p.ID, ServerID: p.ServerID, PrivateNetworkID: p.PrivateNetworkID, Zone: p.Zone, Vlan: p.Vlan, Status: s.pnStatus(p, now)})
	}
	for _, v := range s.w.VPCs {
		st.VPCs = append(st.VPCs, VPCState{ID: v.ID, Region: v.Region, Name: v.Name, IsDefault: v.IsDefault})
	}
	for _, k := range s.w.Keys {
		st.SSHKeys = append(st.SSHKeys, SSHKeyState{ID: k.ID, Name: k.Name})
	}
	if len(s.w.Stock) > 0 {
		st.Stock = map[string]string{}
		for k, v := range s.w.Stock {
			st.Stock[k] = v
		}
	}
	return st
}

// Save returns the world as JSON, advanced to now first so every install
// that has completed is recorded as notified and will not fire again.
func (s *Sim) Save() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.env.Now().UTC())
	return json.MarshalIndent(s.w, "", "  ")
}

// Load replaces the world with a saved one. Status machines continue from
// their recorded start times on this simulator's clock; installs that were
// already notified do not fire OnInstalled again (Installed lists them).
func (s *Sim) Load(data []byte) error {
	w := newWorld()
	if err := json.Unmarshal(data, w); err != nil {
		return fmt.Errorf("failed to decode the saved Scaleway world: %w", err)
	}
	if w.Version != worldVersion {
		return fmt.Errorf("saved Scaleway world has version %d, this simulator reads version %d", w.Version, worldVersion)
	}
	if w.Stock == nil {
		w.Stock = map[string]string{}
	}
	s.mu.Lock()
	s.w = w
	s.mu.Unlock()
	return nil
}

// Installed describes every server whose Proxmox VE install has completed and
// been announced (including one being deleted, until OnRemoved says it is
// gone), so the Proxmox hosts can be re-created after a Load.
func (s *Sim) Installed() []simcore.HostInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []simcore.HostInfo
	for _, d := range s.w.Dedibox {
		if in := d.Install; in != nil && in.Notified && !in.Fail {
			if os, _ := dOSByID(in.OSID); os.Proxmox {
				out = append(out, s.dHostInfo(d))
			}
		}
	}
	for _, e := range s.w.EM {
		if in := e.Install; in != nil && in.Notified && !in.Fail {
			if os, _ := emOSByID(in.OSID); os.Proxmox {
				out = append(out, s.emHostInfo(e))
			}
		}
	}
	return out
}

func (s *Sim) dState(d *dServer, now time.Time) ServerState {
	o, _ := dOfferByID(d.OfferID)
	st := ServerState{
		ID: itoa(d.ID), Provider: "dedibox", Offer: o.Name, Datacenter: d.Datacenter, Zone: zoneOfDC(d.Datacenter),
		Status: s.dStatus(d, now), Hostname: d.Hostname, Tags: slices.Clone(nonNil(d.Tags)),
		PublicIPv4: d.IPv4, PublicIPv6: d.IPv6, ProjectID: d.ProjectID, Visible: s.dVisible(d, now),
	}
	osID := d.OSID
	if d.Install != nil {
		st.InstallStatus, osID = s.dInstallStatus(d, now), d.Install.OSID
	}
	if os, ok := dOSByID(osID); ok {
		st.OS = os.Name + " " + os.Version
	}
	return st
}

func (s *Sim) emState(e *emServer, now time.Time) ServerState {
	o, _ := emOfferByID(e.OfferID)
	st := ServerState{
		ID: e.ID, Provider: "elastic-metal", Offer: o.Name, Zone: e.Zone, Status: s.emStatus(e, now),
		Hostname: e.Name, Name: e.Name, Tags: slices.Clone(nonNil(e.Tags)), PublicIPv4: e.IPv4,
		PublicIPv6: e.IPv6, ProjectID: e.ProjectID, Visible: true,
	}
	if in := e.Install; in != nil {
		st.InstallStatus = s.emInstallStatus(e, now)
		if in.Hostname != "" {
			st.Hostname = in.Hostname
		}
		if os, ok := emOSByID(in.OSID); ok {
			st.OS = os.Name + " " + os.Version
		}
	}
	return st
}

func (s *Sim) networkStates() []NetworkState {
	out := []NetworkState{}
	for _, p := range s.w.Networks {
		ns := NetworkState{
			ID: p.ID, Region: p.Region, VPCID: p.VPCID, Name: p.Name, Tags: slices.Clone(nonNil(p.Tags)),
			Subnets: []string{}, Attached: []string{}, ProjectID: p.ProjectID,
		}
		for _, sn := range p.Subnets {
			ns.Subnets = append(ns.Subnets, sn.CIDR)
		}
		for _, a := range s.w.PNs {
			if a.PrivateNetworkID == p.ID {
				ns.Attached = append(ns.Attached, a.ServerID)
			}
		}
		out = append(out, ns)
	}
	return out
}
