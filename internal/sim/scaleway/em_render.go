package scaleway

import (
	"slices"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// The wire form of a baremetal/v1 Server, written from the recorded bodies
// (every key the recordings show, with their null-versus-empty habits).
type emServerW struct {
	ID             string      `json:"id"`
	OrganizationID string      `json:"organization_id"`
	ProjectID      string      `json:"project_id"`
	Name           string      `json:"name"`
	Description    string      `json:"description"`
	UpdatedAt      time.Time   `json:"updated_at"`
	CreatedAt      time.Time   `json:"created_at"`
	Status         string      `json:"status"`
	OfferID        string      `json:"offer_id"`
	OfferName      string      `json:"offer_name"`
	Tags           []string    `json:"tags"`
	IPs            []emIPW     `json:"ips"`
	Domain         string      `json:"domain"`
	BootType       string      `json:"boot_type"`
	Zone           string      `json:"zone"`
	Install        *emInstallW `json:"install"`
	PingStatus     string      `json:"ping_status"`
	Options        []emSrvOptW `json:"options"`
	RescueServer   *struct{}   `json:"rescue_server"`
	Protected      bool        `json:"protected"`
	UserData       *string     `json:"user_data"`
}

type emIPW struct {
	ID                   string `json:"id"`
	Address              string `json:"address"`
	Reverse              string `json:"reverse"`
	Version              string `json:"version"`
	ReverseStatus        string `json:"reverse_status"`
	ReverseStatusMessage string `json:"reverse_status_message"`
}

type emInstallW struct {
	OsID               string   `json:"os_id"`
	Hostname           string   `json:"hostname"`
	SSHKeyIDs          []string `json:"ssh_key_ids"`
	Status             string   `json:"status"`
	User               string   `json:"user"`
	ServiceUser        string   `json:"service_user"`
	ServiceURL         string   `json:"service_url"`
	PartitioningSchema *schemaW `json:"partitioning_schema"`
}

// emSrvOptW is an option enabled on a server.
type emSrvOptW struct {
	ID              string      `json:"id"`
	Name            string      `json:"name"`
	Status          string      `json:"status"`
	Manageable      bool        `json:"manageable"`
	ExpiresAt       *time.Time  `json:"expires_at"`
	License         *licenseW   `json:"license,omitempty"`
	PublicBandwidth *bandwidthW `json:"public_bandwidth,omitempty"`
	PrivateNetwork  *bandwidthW `json:"private_network,omitempty"`
	RemoteAccess    *struct{}   `json:"remote_access,omitempty"`
	Certification   *struct{}   `json:"certification,omitempty"`
}

// emServerWire renders e at now. fresh is the answer to the create itself,
// which (as recorded) lists no IPs yet.
func (s *Sim) emServerWire(e *emServer, now time.Time, fresh bool) emServerW {
	o, _ := emOfferByID(e.OfferID)
	w := emServerW{
		ID: e.ID, OrganizationID: s.creds.OrganizationID, ProjectID: e.ProjectID,
		Name: e.Name, Description: e.Description, UpdatedAt: e.UpdatedAt, CreatedAt: e.CreatedAt,
		Status: s.emStatus(e, now), OfferID: e.OfferID, OfferName: o.Name,
		Tags: slices.Clone(nonNil(e.Tags)), IPs: []emIPW{}, BootType: "normal", Zone: e.Zone,
		PingStatus: s.emPingStatus(e, now), Options: s.emServerOptions(e, o), Protected: e.Protected,
	}
	provisioned, ok := s.emProvisionedAt(e)
	ok = ok && !now.Before(provisioned)
	if ok {
		w.Domain = e.ID + "." + e.Zone + ".baremetal.scw.cloud"
	}
	if !fresh && (!o.legacy() || s.emDelivered(e, now)) {
		w.IPs = s.emIPs(e, now, w.Domain)
	}
	if e.Install != nil {
		w.Install = s.emInstallWire(e, now)
	}
	return w
}

func (s *Sim) emIPs(e *emServer, now time.Time, domain string) []emIPW {
	status := "unknown"
	if domain != "" {
		status = "pending"
		at, _ := s.emProvisionedAt(e)
		// Reverse DNS settles a while after provisioning: a quarter of a delivery.
		if !now.Before(at.Add(s.env.Delay(simcore.OpServerDelivery, e.key()) / 4)) {
			status = "active"
		}
	}
	return []emIPW{
		{ID: e.IPv4ID, Address: e.IPv4, Reverse: domain, Version: "IPv4", ReverseStatus: status},
		{ID: e.IPv6ID, Address: e.IPv6, Reverse: domain, Version: "IPv6", ReverseStatus: status},
	}
}

func (s *Sim) emInstallWire(e *emServer, now time.Time) *emInstallW {
	in := e.Install
	w := &emInstallW{
		OsID: in.OSID, Hostname: in.Hostname, SSHKeyIDs: slices.Clone(nonNil(in.SSHKeyIDs)),
		Status: s.emInstallStatus(e, now), User: in.User, ServiceUser: in.ServiceUser,
		PartitioningSchema: in.Schema,
	}
	if os, _ := emOSByID(in.OSID); os.Proxmox && w.Status == "completed" {
		w.ServiceURL = "https://" + e.IPv4 + ":8006"
	}
	return w
}

func (s *Sim) emServerOptions(e *emServer, o emOffer) []emSrvOptW {
	out := []emSrvOptW{}
	for _, opt := range emOfferOptions(o) {
		if !slices.Contains(e.OptionIDs, opt.ID) {
			continue
		}
		out = append(out, emSrvOptW{
			ID: opt.ID, Name: opt.Name, Status: "option_status_enable", Manageable: opt.Manageable,
			License: opt.License, PublicBandwidth: opt.PublicBandwidth, PrivateNetwork: opt.PrivateNetwork,
			RemoteAccess: opt.RemoteAccess, Certification: opt.Certification,
		})
	}
	return out
}
