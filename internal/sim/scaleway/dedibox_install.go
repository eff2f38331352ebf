package scaleway

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

type dInstallReq struct {
	OsID          uint64       `json:"os_id"`
	Hostname      string       `json:"hostname"`
	UserLogin     *string      `json:"user_login"`
	UserPassword  *string      `json:"user_password"`
	PanelPassword *string      `json:"panel_password"`
	RootPassword  *string      `json:"root_password"`
	Partitions    []dPartition `json:"partitions"`
	SSHKeyIDs     []string     `json:"ssh_key_ids"`
}

var userLoginRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// installDServer serves InstallServer: checks the OS against the offer and
// the OS's requirements, then starts the install (answering its first phase).
func (s *Sim) installDServer(r *http.Request, now time.Time) (any, error) {
	d, err := s.dFromPath(r, now)
	if err != nil {
		return nil, err
	}
	if st := s.dStatus(d, now); st != "ready" && st != "stopped" && st != "error" {
		return nil, transientState("dedibox_server", itoa(d.ID), st)
	}
	var req dInstallReq
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	in, err := s.newDInstall(d, &req, now)
	if err != nil {
		return nil, err
	}
	d.Install, d.Stopped, d.UpdatedAt = in, false, now
	if req.Hostname != "" {
		d.Hostname = req.Hostname
	}
	return s.dInstallWire(d, now), nil
}

func (s *Sim) newDInstall(d *dServer, req *dInstallReq, now time.Time) (*dInstall, error) {
	o, _ := dOfferByID(d.OfferID)
	os, ok := dOSByID(req.OsID)
	switch {
	case !ok:
		return nil, invalidArg("os_id", "constraint", "unknown OS "+itoa(req.OsID))
	case !os.allowedOn(o):
		return nil, invalidArg("os_id", "constraint", os.Name+" "+os.Version+" cannot be installed on "+o.Name)
	case req.Hostname == "" || len(req.Hostname) > 63 || !hostnameRE.MatchString(req.Hostname):
		return nil, invalidArg("hostname", "constraint", "a valid hostname of at most 63 characters is required")
	case !os.AllowSSHKeys && len(req.SSHKeyIDs) > 0:
		return nil, invalidArg("ssh_key_ids", "constraint", "this OS does not accept SSH keys")
	}
	in := &dInstall{Run: s.nextRun(), OSID: os.ID, Hostname: req.Hostname, SSHKeyIDs: nonNil(req.SSHKeyIDs), StartedAt: now}
	var err error
	if os.RequiresRoot {
		if in.RootPassword, err = dPassword(req.RootPassword, "root_password"); err != nil {
			return nil, err
		}
	}
	if os.RequiresUser {
		if req.UserLogin == nil || !userLoginRE.MatchString(*req.UserLogin) || *req.UserLogin == "root" {
			return nil, invalidArg("user_login", "constraint", "a user login other than root is required")
		}
		in.UserLogin = *req.UserLogin
		if in.UserPassword, err = dPassword(req.UserPassword, "user_password"); err != nil {
			return nil, err
		}
	}
	if in.SSHKeys, err = s.resolveKeys(req.SSHKeyIDs, d.ProjectID, "ssh_key_ids"); err != nil {
		return nil, err
	}
	in.Partitions = dDefaultPartitions(o, os)
	if len(req.Partitions) > 0 {
		if err := checkDPartitions(req.Partitions, o); err != nil {
			return nil, err
		}
		in.Partitions = req.Partitions
	}
	in.Fail = s.env.Faults.TakeOneShot("install-fail", req.Hostname, itoa(d.ID))
	return in, nil
}

// dPassword enforces the OS password_regex: at least 9 characters.
func dPassword(v *string, name string) (string, error) {
	if v == nil || len(*v) < 9 {
		return "", invalidArg(name, "constraint", name+" of at least 9 characters is required")
	}
	return *v, nil
}

func dConnectors(o dOffer) []string {
	var out []string
	for _, d := range diskDevices("nvme", o.Disks) {
		out = append(out, strings.TrimPrefix(d, "/dev/"))
	}
	return out
}

// dDefaultPartitions mirrors the first two disks; Proxmox VE keeps / at
// 100 GiB and gives the rest to /var/lib/vz. Other disks stay free.
func dDefaultPartitions(o dOffer, os dOS) []dPartition {
	conns := dConnectors(o)[:min(o.Disks, 2)]
	mnt := func(p string) *string { return &p }
	const efi, swap, pveRoot = 512 * mib, 4096 * mib, 100 << 30
	rest := (o.DiskBytes-efi-swap)/mib*mib - 10*mib
	parts := []dPartition{
		{FileSystem: "efi", MountPoint: mnt("/boot/efi"), RaidLevel: "no_raid", Capacity: efi, Connectors: conns[:1]},
		{FileSystem: "swap", RaidLevel: "raid1", Capacity: swap, Connectors: conns},
	}
	if !os.Proxmox {
		return append(parts, dPartition{FileSystem: "ext4", MountPoint: mnt("/"), RaidLevel: "raid1", Capacity: rest, Connectors: conns})
	}
	return append(parts,
		dPartition{FileSystem: "ext4", MountPoint: mnt("/"), RaidLevel: "raid1", Capacity: pveRoot, Connectors: conns},
		dPartition{FileSystem: "ext4", MountPoint: mnt("/var/lib/vz"), RaidLevel: "raid1", Capacity: rest - pveRoot, Connectors: conns})
}

// checkDPartitions accepts custom partitions on the offer's disks with a root.
func checkDPartitions(parts []dPartition, o dOffer) error {
	conns, root := dConnectors(o), false
	for _, p := range parts {
		if !slices.Contains([]string{"ext4", "xfs", "swap", "efi"}, p.FileSystem) {
			return invalidArg("partitions.file_system", "constraint", "unsupported file system "+p.FileSystem)
		}
		if len(p.Connectors) == 0 || !containsAll(conns, p.Connectors) {
			return invalidArg("partitions.connectors", "constraint", "connectors must name disks of "+o.Name+": "+strings.Join(conns, ", "))
		}
		root = root || (p.MountPoint != nil && *p.MountPoint == "/")
	}
	if !root {
		return invalidArg("partitions", "constraint", "a partition mounted on / is required")
	}
	return nil
}

func (s *Sim) getDInstall(r *http.Request, now time.Time) (any, error) {
	d, err := s.dFromPath(r, now)
	if err != nil {
		return nil, err
	}
	if d.Install == nil {
		return nil, notFound("dedibox_server_install", itoa(d.ID))
	}
	return s.dInstallWire(d, now), nil
}

// cancelDInstall stops an install in progress; the server is ready again.
func (s *Sim) cancelDInstall(r *http.Request, now time.Time) (any, error) {
	d, err := s.dFromPath(r, now)
	if err != nil {
		return nil, err
	}
	if d.Install == nil || s.dStatus(d, now) != "installing" {
		return nil, preconditionFailed("install_not_in_progress", "there is no install in progress to cancel")
	}
	d.Install, d.UpdatedAt = nil, now
	return nil, nil
}

func (s *Sim) getDPartitioning(r *http.Request, now time.Time) (any, error) {
	d, err := s.dFromPath(r, now)
	if err != nil {
		return nil, err
	}
	id, err := pathUint(r, "os_id")
	if err != nil {
		return nil, err
	}
	o, _ := dOfferByID(d.OfferID)
	os, ok := dOSByID(id)
	if !ok || !os.allowedOn(o) {
		return nil, notFound("dedibox_os", itoa(id))
	}
	out := []dPartitionW{}
	for _, p := range dDefaultPartitions(o, os) {
		out = append(out, dPartitionW{Type: "primary", FileSystem: p.FileSystem, MountPoint: p.MountPoint, RaidLevel: p.RaidLevel, Capacity: p.Capacity, Connectors: p.Connectors})
	}
	return map[string]any{"partitions": out}, nil
}
