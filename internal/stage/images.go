package stage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

type images struct{ env *Env }

func (s *images) Name() string { return Images }

// Targets: a host fetches the ISO once it is in the cluster. Its own OS
// would do for the download itself, but a join replaces the host's
// certificate and token under a download being watched, and the ISO is
// only needed by the VMs, which wait for the join anyway.
func (s *images) Targets() []run.Target {
	return s.env.hostTargets(func(h inventory.HostPlan) []run.Key { return []run.Key{run.On(PVECluster, h.Name)} })
}

// Run has the host download the Talos ISO from the Image Factory with
// download-url, checksum verified, unless the file is already there with
// the right size.
func (s *images) Run(ctx context.Context, st *run.Step) error {
	e := s.env
	host := st.Key.Target
	iso := e.talosISO()
	storage := e.Cluster().Proxmox.ISOStorage
	m := e.isoDownloadMutation(iso, host)
	sum, haveSum, err := e.isoChecksum(ctx, st, iso)
	if err != nil {
		return err
	}
	c, err := e.node(st, host).API()
	if err != nil {
		return err
	}
	volid := storage + ":iso/" + iso.file
	have, err := isoOn(ctx, c, host, volid)
	if err != nil {
		return err
	}
	if have != nil {
		if haveSum && int64(num(have["size"])) != sum.size {
			return fmt.Errorf("%s on %s is %d bytes, the Image Factory's is %d: tripod does not overwrite it; delete it (pvesm free %s) and run again",
				volid, host, int64(num(have["size"])), sum.size, volid)
		}
		st.Skip("%s is on %s", volid, host)
		return nil
	}
	if !haveSum { // a dry run that never fetched the ISO: plan with what is known
		return planOnly(ctx, st, m)
	}
	m.Detail += ", sha256 " + sum.sha256
	there := func(ctx context.Context) (bool, error) {
		v, err := isoOn(ctx, c, host, volid)
		return v != nil, err
	}
	return e.pveSend(ctx, st, m, proxmox.Request{Client: c, Method: "POST", Path: "/nodes/" + host + "/storage/" + storage + "/download-url", Params: map[string]any{
		"url": iso.url, "filename": iso.file, "content": "iso", "checksum": sum.sha256, "checksum-algorithm": "sha256",
	}, Task: &proxmox.TaskRef{Node: host, Type: "download"}, Landed: there, Wait: 30 * time.Minute})
}

// Plan lists the download to a host that is not in the cluster yet.
func (s *images) Plan(ctx context.Context, st *run.Step) error {
	return planOnly(ctx, st, s.env.isoDownloadMutation(s.env.talosISO(), st.Key.Target))
}

// isoDownloadMutation is host's download of iso into the ISO storage; the
// checksum joins its detail once it is known.
func (e *Env) isoDownloadMutation(iso isoRef, host string) run.Mutation {
	return run.Mutation{API: "proxmox", Verb: "download", Object: fmt.Sprintf("Talos ISO %s to %s:%s", iso.file, host, e.Cluster().Proxmox.ISOStorage),
		Detail: iso.url, Request: reqDownloadURL}
}

// reqDownloadURL is the request template of a node's download.
const reqDownloadURL = "POST /api2/json/nodes/{node}/storage/{storage}/download-url"

// isoOn is volid's entry in host's ISO storage, nil when it is not there.
func isoOn(ctx context.Context, c *proxmox.Client, host, volid string) (map[string]any, error) {
	storage, _, _ := strings.Cut(volid, ":")
	content, err := c.ReadList(ctx, "/nodes/"+host+"/storage/"+storage+"/content?content=iso")
	for _, v := range content {
		if v["volid"] == volid {
			return v, err
		}
	}
	return nil, err
}
