package scaleway

import (
	"slices"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// dHostInfo describes a Dedibox server whose Proxmox VE install completed.
// SSH is enabled on Dedibox's Proxmox image; root's password is root_password.
func (s *Sim) dHostInfo(d *dServer) simcore.HostInfo {
	o, _ := dOfferByID(d.OfferID)
	in := d.Install
	pw := in.RootPassword
	if pw == "" {
		pw = in.UserPassword
	}
	h := simcore.HostInfo{
		ServerID: itoa(d.ID), Provider: "dedibox", Placement: d.Datacenter, Hostname: in.Hostname,
		PublicIP: d.IPv4, RootPassword: pw, SSHKeys: slices.Clone(in.SSHKeys), SSHEnabled: true,
		Threads: int(o.Threads), MemoryBytes: int64(o.MemGB * giga), InstalledAt: s.dInstalledAt(d),
	}
	if in.StartedAt.Equal(epoch) {
		h.InstalledAt = d.CreatedAt // preloaded: installed before the world began
	}
	for _, dev := range diskDevices("nvme", o.Disks) {
		h.Disks = append(h.Disks, simcore.Disk{Device: dev, Bytes: int64(o.DiskBytes), Type: "nvme"})
	}
	return h
}

// emHostInfo describes an Elastic Metal server whose Proxmox VE install
// completed. Root's authorized_keys are the install's ssh_key_ids and sshd
// runs as on a Dedibox (the operator jumps through the host to the VLAN);
// the root@pam password is the service_password; the hostname falls back
// to the name.
func (s *Sim) emHostInfo(e *emServer) simcore.HostInfo {
	o, _ := emOfferByID(e.OfferID)
	in := e.Install
	_, end := s.emInstallTimes(e)
	h := simcore.HostInfo{
		ServerID: e.ID, Provider: "elastic-metal", Placement: e.Zone, Hostname: in.Hostname,
		PublicIP: e.IPv4, RootPassword: in.ServicePassword, SSHKeys: slices.Clone(in.SSHKeys), SSHEnabled: true,
		Threads: int(o.Threads) * o.Sockets, MemoryBytes: int64(o.MemGB * giga), InstalledAt: end,
	}
	if h.Hostname == "" {
		h.Hostname = e.Name
	}
	if in.RequestedAt.Equal(epoch) {
		h.InstalledAt = e.CreatedAt // preloaded: installed before the world began
	}
	kind := map[string]string{"NVMe": "nvme", "SSD": "ssd", "HDD": "hdd", "MMC": "ssd"}[o.DiskType]
	for _, dev := range diskDevices(o.DiskType, o.Disks) {
		h.Disks = append(h.Disks, simcore.Disk{Device: dev, Bytes: int64(o.DiskBytes), Type: kind})
	}
	return h
}
