package scaleway

import (
	"context"
	"fmt"
	"strconv"
	"time"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
)

// Install phases, the same for both providers' status machines.
const (
	InstallNone    = "none"    // never installed, or another OS
	InstallRunning = "running" // an install is in progress
	InstallDone    = "done"    // the last install completed
	InstallFailed  = "failed"  // the last install ended in error
)

// Install limits, in real time (scaled by the session's timing). An install
// takes minutes (about 6 for Elastic Metal in the recordings) and may take
// up to an hour; the SDK's own helpers poll every 15 s.
const (
	installPoll    = 15 * time.Second
	installTimeout = 90 * time.Minute
)

// InstallState is what an observation of a server's install shows.
type InstallState struct {
	Phase    string // one of the Install phases
	Status   string // the API's own words, for progress
	Proxmox  bool   // the OS installed (or being installed) is Proxmox VE
	Hostname string
	PublicIP string
}

// Installer drives one provider's install API for one server.
type Installer interface {
	// Observe reads the server's install.
	Observe(ctx context.Context) (InstallState, error)
	// Start sends the install; the caller runs it inside its mutation gate.
	Start(ctx context.Context, hostname, password, keyID string) error
}

// Installer returns the install API of server id of provider p in zone.
func (s *Session) Installer(p inventory.Provider, zone scw.Zone, id string) (Installer, error) {
	if p == inventory.ElasticMetal {
		return &metalInstaller{s: s, zone: zone, id: id}, nil
	}
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%q is not a Dedibox server ID", id)
	}
	return &dediboxInstaller{s: s, zone: zone, id: n}, nil
}

// WaitInstall waits until the install in progress on inst ends, completed
// or failed (name is the condition waited for), and returns what it last
// observed.
func (s *Session) WaitInstall(ctx context.Context, progress Progress, name string, inst Installer) (InstallState, error) {
	var last InstallState
	err := s.Wait(ctx, progress, name, installPoll, installTimeout, func(ctx context.Context) (bool, string, error) {
		cur, err := inst.Observe(ctx)
		if err != nil {
			return false, "", err
		}
		last = cur
		return cur.Phase != InstallRunning, cur.Status, nil
	})
	return last, err
}

type dediboxInstaller struct {
	s    *Session
	zone scw.Zone
	id   uint64
}

// Observe reads the server, and the install while one runs. Dedibox has no
// error value for an install: a failed one leaves the server in "error".
func (d *dediboxInstaller) Observe(ctx context.Context) (InstallState, error) {
	var srv *dedibox.Server
	var in *dedibox.ServerInstall
	err := d.s.Read(ctx, func(ctx context.Context) error {
		var err error
		if srv, err = d.s.Dedibox.GetServer(&dedibox.GetServerRequest{Zone: d.zone, ServerID: d.id}, scw.WithContext(ctx)); err != nil {
			return err
		}
		if srv.Status == dedibox.ServerStatusInstalling {
			in, err = d.s.Dedibox.GetServerInstall(&dedibox.GetServerInstallRequest{Zone: d.zone, ServerID: d.id}, scw.WithContext(ctx))
			if IsNotFound(err) {
				// The server says installing before the install is readable.
				in, err = &dedibox.ServerInstall{Status: dedibox.ServerInstallStatusBooting}, nil
			}
		}
		return err
	})
	if err != nil {
		return InstallState{}, Wrap(err, "read the install of Dedibox server %d", d.id)
	}
	st := InstallState{Phase: InstallNone, Status: string(srv.Status), Hostname: srv.Hostname, PublicIP: DediboxPublicIPv4(srv)}
	switch {
	case srv.Status == dedibox.ServerStatusInstalling:
		st.Phase, st.Status, st.Hostname = InstallRunning, string(in.Status), in.Hostname
	case srv.Status == dedibox.ServerStatusError:
		st.Phase = InstallFailed
	case srv.Os != nil && srv.Status == dedibox.ServerStatusReady:
		st.Phase, st.Proxmox, st.Status = InstallDone, IsProxmoxVE(srv.Os.Name, srv.Os.Version), srv.Os.Name+" "+srv.Os.Version
	}
	return st, nil
}

func (d *dediboxInstaller) Start(ctx context.Context, hostname, password, keyID string) error {
	var oses []*dedibox.OS
	err := d.s.Read(ctx, func(ctx context.Context) error {
		r, err := d.s.Dedibox.ListOS(&dedibox.ListOSRequest{Zone: d.zone, ServerID: &d.id}, scw.WithContext(ctx), scw.WithAllPages())
		oses = listOrNil(r, err, func(r *dedibox.ListOSResponse) []*dedibox.OS { return r.Os })
		return err
	})
	if err != nil {
		return Wrap(err, "list the OS images of server %d", d.id)
	}
	os := NewestProxmoxDedibox(oses)
	if os == nil {
		return fmt.Errorf("server %d lists no Proxmox VE image", d.id)
	}
	var parts *dedibox.ServerDefaultPartitioning
	err = d.s.Read(ctx, func(ctx context.Context) error {
		parts, err = d.s.Dedibox.GetServerDefaultPartitioning(&dedibox.GetServerDefaultPartitioningRequest{Zone: d.zone, ServerID: d.id, OsID: os.ID}, scw.WithContext(ctx))
		return err
	})
	if err != nil {
		return Wrap(err, "read the default partitioning of server %d for %s", d.id, os.DisplayName)
	}
	req := &dedibox.InstallServerRequest{Zone: d.zone, ServerID: d.id, OsID: os.ID, Hostname: hostname, RootPassword: &password, Partitions: []*dedibox.InstallPartition{}}
	for _, p := range parts.Partitions {
		req.Partitions = append(req.Partitions, &dedibox.InstallPartition{FileSystem: p.FileSystem, MountPoint: p.MountPoint, RaidLevel: p.RaidLevel, Capacity: p.Capacity, Connectors: p.Connectors})
	}
	if os.AllowSSHKeys {
		req.SSHKeyIDs = []string{keyID}
	}
	_, err = d.s.Dedibox.InstallServer(req, scw.WithContext(ctx))
	return Evidence(err)
}

type metalInstaller struct {
	s    *Session
	zone scw.Zone
	id   string
}

func (m *metalInstaller) Observe(ctx context.Context) (InstallState, error) {
	var srv *baremetal.Server
	err := m.s.Read(ctx, func(ctx context.Context) error {
		var err error
		srv, err = m.s.Metal.GetServer(&baremetal.GetServerRequest{Zone: m.zone, ServerID: m.id}, scw.WithContext(ctx))
		return err
	})
	if err != nil {
		return InstallState{}, Wrap(err, "read Elastic Metal server %s", m.id)
	}
	st := InstallState{Phase: InstallNone, Status: string(srv.Status), Hostname: srv.Name, PublicIP: MetalPublicIPv4(srv)}
	in := srv.Install
	if in == nil {
		return st, nil
	}
	if in.Hostname != "" {
		st.Hostname = in.Hostname
	}
	st.Status = string(in.Status)
	switch in.Status {
	case baremetal.ServerInstallStatusToInstall, baremetal.ServerInstallStatusInstalling:
		st.Phase = InstallRunning
	case baremetal.ServerInstallStatusCompleted:
		st.Phase = InstallDone
	default: // error, or unknown: the SDK's own wait ends on both
		st.Phase = InstallFailed
	}
	st.Proxmox, err = m.isProxmox(ctx, in.OsID)
	return st, err
}

// isProxmox reads an OS image once per run.
func (m *metalInstaller) isProxmox(ctx context.Context, osID string) (bool, error) {
	if v, ok := m.s.oses.Load(osID); ok {
		return v.(bool), nil
	}
	var os *baremetal.OS
	err := m.s.Read(ctx, func(ctx context.Context) error {
		var err error
		os, err = m.s.Metal.GetOS(&baremetal.GetOSRequest{Zone: m.zone, OsID: osID}, scw.WithContext(ctx))
		return err
	})
	if err != nil {
		return false, Wrap(err, "read OS image %s", osID)
	}
	pve := IsProxmoxVE(os.Name, os.Version)
	m.s.oses.Store(osID, pve)
	return pve, nil
}

func (m *metalInstaller) Start(ctx context.Context, hostname, password, keyID string) error {
	var srv *baremetal.Server
	var oses []*baremetal.OS
	err := m.s.Read(ctx, func(ctx context.Context) error {
		var err error
		if srv, err = m.s.Metal.GetServer(&baremetal.GetServerRequest{Zone: m.zone, ServerID: m.id}, scw.WithContext(ctx)); err != nil {
			return err
		}
		r, err := m.s.Metal.ListOS(&baremetal.ListOSRequest{Zone: m.zone, OfferID: &srv.OfferID}, scw.WithContext(ctx), scw.WithAllPages())
		oses = listOrNil(r, err, func(r *baremetal.ListOSResponse) []*baremetal.OS { return r.Os })
		return err
	})
	if err != nil {
		return Wrap(err, "list the OS images for server %s", m.id)
	}
	os := NewestProxmoxMetal(oses, nil)
	if os == nil {
		return fmt.Errorf("offer %s of server %s lists no Proxmox VE image", srv.OfferName, m.id)
	}
	req := &baremetal.InstallServerRequest{Zone: m.zone, ServerID: m.id, OsID: os.ID, Hostname: hostname, SSHKeyIDs: []string{keyID}}
	// Scaleway's Proxmox VE image takes root@pam's password as its
	// service_password; fill every password field the image accepts.
	if f := os.ServicePassword; f != nil && (f.Required || f.Editable) {
		req.ServicePassword = &password
	}
	if f := os.Password; f != nil && (f.Required || f.Editable) {
		req.Password = &password
	}
	_, err = m.s.Metal.InstallServer(req, scw.WithContext(ctx))
	return Evidence(err)
}
