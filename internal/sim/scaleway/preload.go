package scaleway

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// PreloadedServer is a server that exists before the run begins: one to
// adopt, or a foreign one the tool must leave alone. It is already delivered
// and, with InstalledOS "proxmox", already installed (OnInstalled fires).
type PreloadedServer struct {
	Provider     string   `json:"provider"`             // "dedibox" or "elastic-metal"
	ID           string   `json:"id,omitempty"`         // decimal (Dedibox) or UUID; drawn when empty
	Offer        string   `json:"offer"`                // offer name, e.g. STORE-9-M or EM-I215E-NVME
	Datacenter   string   `json:"datacenter,omitempty"` // Dedibox: DC2, DC3, DC5 or AMS1
	Zone         string   `json:"zone,omitempty"`       // Elastic Metal zone (or a Dedibox zone: its first datacenter)
	Hostname     string   `json:"hostname"`
	Tags         []string `json:"tags,omitempty"`
	InstalledOS  string   `json:"installed_os,omitempty"`  // "" or "proxmox"
	RootPassword string   `json:"root_password,omitempty"` // required with InstalledOS
	SSHKeys      []string `json:"ssh_keys,omitempty"`      // authorized_keys lines
}

// PreloadServer creates p and returns its ID.
func (s *Sim) PreloadServer(p PreloadedServer) (string, error) {
	if p.InstalledOS != "" && p.InstalledOS != "proxmox" {
		return "", fmt.Errorf("preloaded server %q: installed_os %q is not supported (want \"\" or \"proxmox\")", p.Hostname, p.InstalledOS)
	}
	if p.InstalledOS != "" && p.RootPassword == "" {
		return "", fmt.Errorf("preloaded server %q: an installed server needs a root_password", p.Hostname)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var id string
	var err error
	switch p.Provider {
	case "dedibox":
		id, err = s.preloadDedibox(p)
	case "elastic-metal":
		id, err = s.preloadEM(p)
	default:
		err = fmt.Errorf("preloaded server %q: provider %q is not dedibox or elastic-metal", p.Hostname, p.Provider)
	}
	if err == nil {
		s.advance(s.env.Now().UTC())
	}
	return id, err
}

func (s *Sim) preloadDedibox(p PreloadedServer) (string, error) {
	o, ok := dOfferByName(p.Offer)
	if !ok {
		return "", fmt.Errorf("preloaded server %q: unknown Dedibox offer %q", p.Hostname, p.Offer)
	}
	dc := strings.ToUpper(p.Datacenter)
	if dc == "" && len(dediboxZones[p.Zone]) > 0 {
		dc = dediboxZones[p.Zone][0]
	}
	if zoneOfDC(dc) == "" {
		return "", fmt.Errorf("preloaded server %q: unknown Dedibox datacenter %q", p.Hostname, p.Datacenter)
	}
	id := s.w.Seq.DServer + 1
	if p.ID != "" {
		n, err := strconv.ParseUint(p.ID, 10, 64)
		if err != nil || slices.ContainsFunc(s.w.Dedibox, func(d *dServer) bool { return d.ID == n }) {
			return "", fmt.Errorf("preloaded server %q: id %q is not a free decimal Dedibox ID", p.Hostname, p.ID)
		}
		id = n
	}
	s.w.Seq.DServer = max(s.w.Seq.DServer, id)
	s.w.Seq.DService++
	now := s.env.Now().UTC()
	d := &dServer{
		ID: id, ServiceID: s.w.Seq.DService, OfferID: o.ID, Datacenter: dc, ProjectID: s.creds.ProjectID,
		Hostname: p.Hostname, Tags: nonNil(slices.Clone(p.Tags)), CreatedAt: now, UpdatedAt: now, DeliverFrom: epoch,
	}
	if d.Hostname == "" {
		d.Hostname = "sd-" + itoa(id)
	}
	if p.InstalledOS == "proxmox" {
		d.Install = &dInstall{
			Run: s.nextRun(), OSID: dOSes[0].ID, Hostname: d.Hostname, RootPassword: p.RootPassword,
			SSHKeyIDs: []string{}, SSHKeys: slices.Clone(p.SSHKeys), Partitions: dDefaultPartitions(o, dOSes[0]), StartedAt: epoch,
		}
	}
	s.assignDediboxAddresses(d)
	s.w.Dedibox = append(s.w.Dedibox, d)
	s.w.Services = append(s.w.Services, &dService{ID: d.ServiceID, OfferID: o.ID, ServerID: id, ProjectID: d.ProjectID, Zone: zoneOfDC(dc), CreatedAt: now, ReadyFrom: epoch})
	return itoa(id), nil
}

func (s *Sim) preloadEM(p PreloadedServer) (string, error) {
	o, ok := emOfferByName(p.Offer)
	if !ok {
		return "", fmt.Errorf("preloaded server %q: unknown Elastic Metal offer %q", p.Hostname, p.Offer)
	}
	if !slices.Contains(emZones, p.Zone) {
		return "", fmt.Errorf("preloaded server %q: unknown Elastic Metal zone %q", p.Hostname, p.Zone)
	}
	id := p.ID
	if id == "" {
		id = s.newUUID()
	} else if !isUUID(id) || slices.ContainsFunc(s.w.EM, func(e *emServer) bool { return e.ID == id }) {
		return "", fmt.Errorf("preloaded server %q: id %q is not a free UUID", p.Hostname, p.ID)
	}
	now := s.env.Now().UTC()
	e := &emServer{
		ID: id, Zone: p.Zone, OfferID: o.ID, Name: p.Hostname, ProjectID: s.creds.ProjectID,
		Tags: nonNil(slices.Clone(p.Tags)), CreatedAt: now, UpdatedAt: now, DeliverFrom: epoch,
	}
	if p.InstalledOS == "proxmox" {
		if o.incompatibleWith("pve8") {
			return "", fmt.Errorf("preloaded server %q: Proxmox VE does not run on %s", p.Hostname, o.Name)
		}
		pve, _ := emOSByID("a5c00c1b-95b1-4c08-8a33-79cc079f9dac")
		e.Install = &emInstall{
			Run: s.nextRun(), OSID: pve.ID, Hostname: p.Hostname, User: "root", ServiceUser: "root",
			ServicePassword: p.RootPassword, SSHKeyIDs: []string{}, SSHKeys: slices.Clone(p.SSHKeys),
			Schema: defaultSchema(o, pve), RequestedAt: epoch,
		}
	}
	s.assignEMAddresses(e)
	s.w.EM = append(s.w.EM, e)
	return id, nil
}

// SetStock overrides the stock of an offer (by name) in a Dedibox datacenter
// or an Elastic Metal zone: "available", "low" or "empty".
func (s *Sim) SetStock(offer, placement, stock string) error {
	if stock != "available" && stock != "low" && stock != "empty" {
		return fmt.Errorf("stock %q is not available, low or empty", stock)
	}
	_, isD := dOfferByName(offer)
	_, isEM := emOfferByName(offer)
	switch {
	case isD && zoneOfDC(strings.ToUpper(placement)) != "":
	case isEM && slices.Contains(emZones, placement):
	case isD || isEM:
		return fmt.Errorf("offer %s is not sold in %q", offer, placement)
	default:
		return fmt.Errorf("unknown offer %q", offer)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.Stock[stockKey(offer, placement)] = stock
	return nil
}

// PreloadedPrivateNetwork is a VPC v2 private network that exists before the
// run begins, in its region's default VPC: one the tool should find and
// reuse, or a foreign one it must leave alone.
type PreloadedPrivateNetwork struct {
	ID      string   `json:"id,omitempty"` // UUID; drawn when empty
	Region  string   `json:"region"`       // fr-par, nl-ams or pl-waw
	Name    string   `json:"name"`
	Tags    []string `json:"tags,omitempty"`
	Subnets []string `json:"subnets,omitempty"` // CIDRs; an IPv4 /22 and an IPv6 /64 are drawn when left out
}

// PreloadPrivateNetwork creates p and returns its ID.
func (s *Sim) PreloadPrivateNetwork(p PreloadedPrivateNetwork) (string, error) {
	if !slices.Contains(vpcRegions, p.Region) {
		return "", fmt.Errorf("preloaded private network %q: unknown region %q (want one of %v)", p.Name, p.Region, vpcRegions)
	}
	if p.Name == "" {
		return "", fmt.Errorf("preloaded private network in %s: a name is required", p.Region)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := p.ID
	if id != "" && (!isUUID(id) || slices.ContainsFunc(s.w.Networks, func(n *privNet) bool { return n.ID == id })) {
		return "", fmt.Errorf("preloaded private network %q: id %q is not a free UUID", p.Name, p.ID)
	}
	now := s.env.Now().UTC()
	v := s.defaultVPC(p.Region, s.creds.ProjectID, now)
	subnets, err := s.pnSubnets(v, p.Subnets)
	if err != nil {
		return "", fmt.Errorf("preloaded private network %q: %w", p.Name, err)
	}
	if id == "" {
		id = s.newUUID()
	}
	s.w.Networks = append(s.w.Networks, &privNet{
		ID: id, Region: p.Region, VPCID: v.ID, Name: p.Name, ProjectID: s.creds.ProjectID,
		Tags: nonNil(slices.Clone(p.Tags)), Subnets: subnets, CreatedAt: now, UpdatedAt: now,
	})
	return id, nil
}
