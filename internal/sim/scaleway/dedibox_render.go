package scaleway

import (
	"fmt"
	"slices"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// dStock is the stock of offer o in datacenter dc: a SetStock override, else
// available; a dark datacenter has nothing to deliver.
func (s *Sim) dStock(o dOffer, dc string) string {
	if !s.env.Reachable(simcore.Outside, simcore.At(dc)) {
		return "empty"
	}
	if v, ok := s.w.Stock[stockKey(o.Name, dc)]; ok {
		return v
	}
	return "available"
}

var stockRank = map[string]int{"empty": 0, "low": 1, "available": 2}

func (s *Sim) dOfferWire(o dOffer, zone string) *dOfferW {
	rpn := uint32(2)
	info := &dServerInfoW{
		Bandwidth: giga, CommercialRange: o.Range, Stock: "empty",
		CPUs:               []dCPUW{{Name: o.CPU, CoreCount: o.Cores, ThreadCount: o.Threads, Frequency: o.MHz}},
		Memories:           []dMemW{{Capacity: o.MemGB * giga, Type: "ddr4", Frequency: 3200, IsEcc: true}},
		PersistentMemories: []struct{}{}, AvailableOptions: []dOfferW{}, RpnVersion: &rpn,
		RaidControllers:   []dRaidCtlW{{Model: "Software RAID", RaidLevel: []string{"no_raid", "raid0", "raid1", "raid5", "raid6", "raid10"}}},
		Connectivity:      giga,
		StockByDatacenter: map[string]string{},
	}
	for i := 0; i < o.Disks; i++ {
		info.Disks = append(info.Disks, dDiskW{Capacity: o.DiskBytes, Type: "nvme"})
	}
	for _, dc := range regionDCs(zone) {
		st := s.dStock(o, dc)
		info.StockByDatacenter[dc] = st
		if stockRank[st] > stockRank[info.Stock] {
			info.Stock = st
		}
	}
	return &dOfferW{
		ID: o.ID, Name: o.Name, Catalog: "default", PaymentFrequency: "monthly",
		Pricing: eur(o.CentsPerMonth * 10), ServerInfo: info,
		RpnInfo: &dSpeedW{Speed: 1000}, BandwidthInfo: &dSpeedW{Speed: 1000},
	}
}

func dOSWire(os dOS) *dOSW {
	valid, re := true, `^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`
	max := uint32(4)
	released, _ := time.Parse(time.DateOnly, os.Released)
	return &dOSW{
		ID: os.ID, Name: os.Name, Type: os.Type, Version: os.Version, Arch: "amd64",
		AllowCustomPartitioning: true, AllowSSHKeys: os.AllowSSHKeys, RequiresUser: os.RequiresUser,
		RequiresAdminPassword: os.RequiresRoot, AllowedFilesystems: []string{"ext4", "xfs", "swap", "efi"},
		LicenseOffers: []dOfferW{}, MaxPartitions: &max, DisplayName: os.Name + " " + os.Version,
		PasswordRegex:         `^.{9,}$`,
		RequiresValidHostname: &valid, HostnameRegex: &re, HostnameMaxLength: 63, ReleasedAt: &released,
	}
}

// dCurrentOS is the OS a server runs: the completed install's.
func (s *Sim) dCurrentOS(d *dServer) *dOSW {
	if os, ok := dOSByID(d.OSID); ok && d.OSID != 0 {
		return dOSWire(os)
	}
	return nil
}

func (s *Sim) dInterfaces(d *dServer) []dIfaceW {
	v4, gw := d.IPv4, ""
	if v4 != "" {
		gw = v4[:len(v4)-len(lastOctet(v4))] + "1"
	}
	mac := func(card uint64) string {
		return fmt.Sprintf("00:08:a2:%02x:%02x:%02x", byte(d.ID>>8), byte(d.ID), byte(card))
	}
	return []dIfaceW{
		{CardID: d.ID*10 + 1, DeviceID: 1, Mac: mac(1), Type: "normal", IPs: []dIPW{
			{IPID: d.ID*10 + 1, Address: v4, Reverse: "sd-" + itoa(d.ID) + ".dedibox.fr", Version: "ipv4", Cidr: 24, Netmask: "255.255.255.0", Semantic: "public", Gateway: gw, Status: "ready"},
			{IPID: d.ID*10 + 2, Address: d.IPv6, Version: "ipv6", Cidr: 64, Netmask: "ffff:ffff:ffff:ffff::", Semantic: "public", Gateway: "fe80::1", Status: "ready"},
		}},
		{CardID: d.ID*10 + 2, DeviceID: 2, Mac: mac(2), Type: "normal", IPs: []dIPW{}}, // the RPN port
	}
}

func lastOctet(ip string) string {
	for i := len(ip) - 1; i >= 0; i-- {
		if ip[i] == '.' {
			return ip[i+1:]
		}
	}
	return ip
}

func (s *Sim) dServerWire(d *dServer, now time.Time) dServerW {
	o, _ := dOfferByID(d.OfferID)
	created, updated := d.CreatedAt, d.UpdatedAt
	return dServerW{
		ID: d.ID, OrganizationID: s.creds.OrganizationID, ProjectID: d.ProjectID, Hostname: d.Hostname,
		CreatedAt: &created, UpdatedAt: &updated, Offer: s.dOfferWire(o, zoneOfDC(d.Datacenter)),
		Status: s.dStatus(d, now), AbuseContact: "abuse@simulator.invalid",
		Location: &dLocW{Rack: fmt.Sprintf("C%02d", d.ID%40), Room: "s" + itoa(1+d.ID%4), DatacenterName: d.Datacenter},
		Os:       s.dCurrentOS(d), Interfaces: s.dInterfaces(d), Zone: zoneOfDC(d.Datacenter),
		Options: []struct{}{}, Level: &dLevelW{OfferID: 0, Level: "basic"}, HasBmc: true,
		Tags: slices.Clone(nonNil(d.Tags)), IPv6Slaac: true, IsRpnv2Member: s.inRPNGroup(d.ID),
		RebootedAt: d.RebootAt,
	}
}

func (s *Sim) dSummaryWire(d *dServer, now time.Time) dServerSummaryW {
	o, _ := dOfferByID(d.OfferID)
	created, updated, rpn := d.CreatedAt, d.UpdatedAt, uint32(2)
	w := dServerSummaryW{
		ID: d.ID, DatacenterName: d.Datacenter, OrganizationID: s.creds.OrganizationID, ProjectID: d.ProjectID,
		Hostname: d.Hostname, CreatedAt: &created, UpdatedAt: &updated, OfferID: o.ID, OfferName: o.Name,
		Status: s.dStatus(d, now), Interfaces: s.dInterfaces(d), Zone: zoneOfDC(d.Datacenter),
		Level: &dLevelW{Level: "basic"}, RpnVersion: &rpn,
	}
	if d.OSID != 0 {
		id := d.OSID
		w.OsID = &id
	}
	return w
}

func (s *Sim) serviceWire(sv *dService, now time.Time) dServiceW {
	o, _ := dOfferByID(sv.OfferID)
	created := sv.CreatedAt
	w := dServiceW{
		ID: sv.ID, ProvisioningStatus: s.serviceStatus(sv, now), CreatedAt: &created,
		Offer: s.dOfferWire(o, sv.Zone), Type: "order",
	}
	if w.ProvisioningStatus != "delivering" {
		id, at := sv.ServerID, s.serviceReadyAt(sv)
		w.ResourceID, w.DeliveredAt, w.Type = &id, &at, "service"
	}
	w.TerminatedAt = sv.Terminated
	return w
}

func (s *Sim) dInstallWire(d *dServer, now time.Time) dInstallW {
	in := d.Install
	w := dInstallW{
		OsID: in.OSID, Hostname: in.Hostname, SSHKeyIDs: slices.Clone(nonNil(in.SSHKeyIDs)),
		Status: s.dInstallStatus(d, now), Partitions: []dPartitionW{},
	}
	if in.UserLogin != "" {
		u := in.UserLogin
		w.UserLogin = &u
	}
	for _, p := range in.Partitions {
		w.Partitions = append(w.Partitions, dPartitionW{Type: "primary", FileSystem: p.FileSystem, MountPoint: p.MountPoint, RaidLevel: p.RaidLevel, Capacity: p.Capacity, Connectors: p.Connectors})
	}
	return w
}
