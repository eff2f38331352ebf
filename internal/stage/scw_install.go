package stage

import (
	"context"
	"fmt"
	"strconv"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// Install phases, the same for both providers' status machines.
const (
	installNone    = "none"    // never installed, or another OS
	installRunning = "running" // an install is in progress
	installDone    = "done"    // the last install completed
	installFailed  = "failed"  // the last install ended in error
)

// installState is what an observation of a server's install shows.
type installState struct {
	phase    string
	status   string // the API's own words, for progress
	proxmox  bool   // the OS installed (or being installed) is Proxmox VE
	hostname string
	publicIP string
}

// installer drives one provider's install API for one server.
type installer interface {
	observe(ctx context.Context) (installState, error)
	// start sends the install; it runs inside the mutation gate.
	start(ctx context.Context, hostname, password, keyID string) error
}

func (e *Env) installer(c *scaleway.Client, f HostFact) (installer, error) {
	zone := scw.Zone(f.Zone)
	if f.Provider == inventory.ElasticMetal {
		return &metalInstaller{e: e, c: c, zone: zone, id: f.ServerID}, nil
	}
	id, err := strconv.ParseUint(f.ServerID, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%q is not a Dedibox server ID", f.ServerID)
	}
	return &dediboxInstaller{e: e, c: c, zone: zone, id: id}, nil
}

type dediboxInstaller struct {
	e    *Env
	c    *scaleway.Client
	zone scw.Zone
	id   uint64
}

// observe reads the server, and the install while one runs. Dedibox has no
// error value for an install: a failed one leaves the server in "error".
func (d *dediboxInstaller) observe(ctx context.Context) (installState, error) {
	var srv *dedibox.Server
	var in *dedibox.ServerInstall
	err := d.e.scwRead(ctx, func(ctx context.Context) error {
		var err error
		if srv, err = d.c.Dedibox.GetServer(&dedibox.GetServerRequest{Zone: d.zone, ServerID: d.id}, scw.WithContext(ctx)); err != nil {
			return err
		}
		if srv.Status == dedibox.ServerStatusInstalling {
			in, err = d.c.Dedibox.GetServerInstall(&dedibox.GetServerInstallRequest{Zone: d.zone, ServerID: d.id}, scw.WithContext(ctx))
			if scaleway.IsNotFound(err) {
				// The server says installing before the install is readable.
				in, err = &dedibox.ServerInstall{Status: dedibox.ServerInstallStatusBooting}, nil
			}
		}
		return err
	})
	if err != nil {
		return installState{}, scaleway.Wrap(err, "read the install of Dedibox server %d", d.id)
	}
	s := installState{phase: installNone, status: string(srv.Status), hostname: srv.Hostname, publicIP: scaleway.DediboxPublicIPv4(srv)}
	switch {
	case srv.Status == dedibox.ServerStatusInstalling:
		s.phase, s.status, s.hostname = installRunning, string(in.Status), in.Hostname
	case srv.Status == dedibox.ServerStatusError:
		s.phase = installFailed
	case srv.Os != nil && srv.Status == dedibox.ServerStatusReady:
		s.phase, s.proxmox, s.status = installDone, scaleway.IsProxmoxVE(srv.Os.Name, srv.Os.Version), srv.Os.Name+" "+srv.Os.Version
	}
	return s, nil
}

func (d *dediboxInstaller) start(ctx context.Context, hostname, password, keyID string) error {
	var oses []*dedibox.OS
	err := d.e.scwRead(ctx, func(ctx context.Context) error {
		r, err := d.c.Dedibox.ListOS(&dedibox.ListOSRequest{Zone: d.zone, ServerID: &d.id}, scw.WithContext(ctx), scw.WithAllPages())
		oses = listOrNil(r, err, func(r *dedibox.ListOSResponse) []*dedibox.OS { return r.Os })
		return err
	})
	if err != nil {
		return scaleway.Wrap(err, "list the OS images of server %d", d.id)
	}
	os := scaleway.NewestProxmoxDedibox(oses)
	if os == nil {
		return fmt.Errorf("server %d lists no Proxmox VE image", d.id)
	}
	var parts *dedibox.ServerDefaultPartitioning
	err = d.e.scwRead(ctx, func(ctx context.Context) error {
		parts, err = d.c.Dedibox.GetServerDefaultPartitioning(&dedibox.GetServerDefaultPartitioningRequest{Zone: d.zone, ServerID: d.id, OsID: os.ID}, scw.WithContext(ctx))
		return err
	})
	if err != nil {
		return scaleway.Wrap(err, "read the default partitioning of server %d for %s", d.id, os.DisplayName)
	}
	req := &dedibox.InstallServerRequest{Zone: d.zone, ServerID: d.id, OsID: os.ID, Hostname: hostname, RootPassword: &password, Partitions: []*dedibox.InstallPartition{}}
	for _, p := range parts.Partitions {
		req.Partitions = append(req.Partitions, &dedibox.InstallPartition{FileSystem: p.FileSystem, MountPoint: p.MountPoint, RaidLevel: p.RaidLevel, Capacity: p.Capacity, Connectors: p.Connectors})
	}
	if os.AllowSSHKeys {
		req.SSHKeyIDs = []string{keyID}
	}
	_, err = d.c.Dedibox.InstallServer(req, scw.WithContext(ctx))
	return scaleway.Evidence(err)
}

type metalInstaller struct {
	e    *Env
	c    *scaleway.Client
	zone scw.Zone
	id   string
}

func (m *metalInstaller) observe(ctx context.Context) (installState, error) {
	var srv *baremetal.Server
	err := m.e.scwRead(ctx, func(ctx context.Context) error {
		var err error
		srv, err = m.c.Metal.GetServer(&baremetal.GetServerRequest{Zone: m.zone, ServerID: m.id}, scw.WithContext(ctx))
		return err
	})
	if err != nil {
		return installState{}, scaleway.Wrap(err, "read Elastic Metal server %s", m.id)
	}
	s := installState{phase: installNone, status: string(srv.Status), hostname: srv.Name, publicIP: scaleway.MetalPublicIPv4(srv)}
	in := srv.Install
	if in == nil {
		return s, nil
	}
	if in.Hostname != "" {
		s.hostname = in.Hostname
	}
	s.status = string(in.Status)
	switch in.Status {
	case baremetal.ServerInstallStatusToInstall, baremetal.ServerInstallStatusInstalling:
		s.phase = installRunning
	case baremetal.ServerInstallStatusCompleted:
		s.phase = installDone
	default: // error, or unknown: the SDK's own wait ends on both
		s.phase = installFailed
	}
	s.proxmox, err = m.isProxmox(ctx, in.OsID)
	return s, err
}

// isProxmox reads an OS image once per run.
func (m *metalInstaller) isProxmox(ctx context.Context, osID string) (bool, error) {
	sh := m.e.scwShared()
	if v, ok := sh.oses.Load(osID); ok {
		return v.(bool), nil
	}
	var os *baremetal.OS
	err := m.e.scwRead(ctx, func(ctx context.Context) error {
		var err error
		os, err = m.c.Metal.GetOS(&baremetal.GetOSRequest{Zone: m.zone, OsID: osID}, scw.WithContext(ctx))
		return err
	})
	if err != nil {
		return false, scaleway.Wrap(err, "read OS image %s", osID)
	}
	pve := scaleway.IsProxmoxVE(os.Name, os.Version)
	sh.oses.Store(osID, pve)
	return pve, nil
}

func (m *metalInstaller) start(ctx context.Context, hostname, password, keyID string) error {
	var srv *baremetal.Server
	var oses []*baremetal.OS
	err := m.e.scwRead(ctx, func(ctx context.Context) error {
		var err error
		if srv, err = m.c.Metal.GetServer(&baremetal.GetServerRequest{Zone: m.zone, ServerID: m.id}, scw.WithContext(ctx)); err != nil {
			return err
		}
		r, err := m.c.Metal.ListOS(&baremetal.ListOSRequest{Zone: m.zone, OfferID: &srv.OfferID}, scw.WithContext(ctx), scw.WithAllPages())
		oses = listOrNil(r, err, func(r *baremetal.ListOSResponse) []*baremetal.OS { return r.Os })
		return err
	})
	if err != nil {
		return scaleway.Wrap(err, "list the OS images for server %s", m.id)
	}
	os := scaleway.NewestProxmoxMetal(oses, nil)
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
	_, err = m.c.Metal.InstallServer(req, scw.WithContext(ctx))
	return scaleway.Evidence(err)
}
