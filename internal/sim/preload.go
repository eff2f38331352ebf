package sim

import (
	"bytes"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/tripod-dev/tripod/internal/sim/proxmox"
	"github.com/tripod-dev/tripod/internal/sim/scaleway"
)

// Preload is a --preload file: what exists before the rehearsal starts.
//
//	servers:            # delivered servers: ones to adopt, or foreign ones
//	  - provider: dedibox
//	    id: "104201"
//	    offer: CORE-10-M
//	    datacenter: DC2
//	    hostname: reuse-pve-1
//	    tags: [team=db]
//	stock:              # offers out of (or low on) stock somewhere
//	  - {offer: STORE-9-M, placement: DC3, stock: empty}
//	vms:                # VMs waiting on a host (by hostname) once it appears
//	  - {host: lab-pve-1, vmid: 1001, name: lab-cp-1, tags: [someone-else]}
//	private_networks:   # VPC private networks that already exist
//	  - {region: fr-par, name: shared-pn}
//	quota:              # live servers allowed per provider and project (0: no cap)
//	  servers: 2
type Preload struct {
	Servers         []preloadServer                    `yaml:"servers"`
	Stock           []preloadStock                     `yaml:"stock"`
	VMs             []preloadVM                        `yaml:"vms"`
	PrivateNetworks []scaleway.PreloadedPrivateNetwork `yaml:"private_networks"`
	Quota           struct {
		Servers int `yaml:"servers"`
	} `yaml:"quota"`
}

type preloadServer struct {
	Provider     string   `yaml:"provider"`
	ID           string   `yaml:"id"`
	Offer        string   `yaml:"offer"`
	Datacenter   string   `yaml:"datacenter"`
	Zone         string   `yaml:"zone"`
	Hostname     string   `yaml:"hostname"`
	Tags         []string `yaml:"tags"`
	InstalledOS  string   `yaml:"installed_os"`
	RootPassword string   `yaml:"root_password"`
	SSHKeys      []string `yaml:"ssh_keys"`
}

type preloadStock struct {
	Offer     string `yaml:"offer"`
	Placement string `yaml:"placement"`
	Stock     string `yaml:"stock"`
}

type preloadVM struct {
	Host      string   `yaml:"host"`
	VMID      int      `yaml:"vmid"`
	Name      string   `yaml:"name"`
	Tags      []string `yaml:"tags"`
	Cores     int      `yaml:"cores"`
	MemoryMiB int      `yaml:"memory_mib"`
	Running   bool     `yaml:"running"`
}

// LoadPreload reads a preload file strictly.
func LoadPreload(path string) (*Preload, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read preload file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var p Preload
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("preload file %s: %w", path, err)
	}
	return &p, nil
}

func (w *World) applyPreload(p *Preload) error {
	if p.Quota.Servers < 0 {
		return fmt.Errorf("preload: quota.servers must not be negative")
	}
	w.Scaleway.SetServerQuota(p.Quota.Servers)
	for _, n := range p.PrivateNetworks {
		if _, err := w.Scaleway.PreloadPrivateNetwork(n); err != nil {
			return fmt.Errorf("preload: %w", err)
		}
	}
	for _, s := range p.Servers {
		if _, err := w.Scaleway.PreloadServer(scaleway.PreloadedServer{
			Provider: s.Provider, ID: s.ID, Offer: s.Offer, Datacenter: s.Datacenter, Zone: s.Zone,
			Hostname: s.Hostname, Tags: s.Tags, InstalledOS: s.InstalledOS, RootPassword: s.RootPassword, SSHKeys: s.SSHKeys,
		}); err != nil {
			return fmt.Errorf("preload: %w", err)
		}
	}
	for _, s := range p.Stock {
		if err := w.Scaleway.SetStock(s.Offer, s.Placement, s.Stock); err != nil {
			return fmt.Errorf("preload: %w", err)
		}
	}
	for _, v := range p.VMs {
		cores, mem := v.Cores, v.MemoryMiB
		if cores == 0 {
			cores = 2
		}
		if mem == 0 {
			mem = 2048
		}
		w.Proxmox.PreloadVM(v.Host, proxmox.PreloadedVM{VMID: v.VMID, Name: v.Name, Tags: v.Tags, Cores: cores, MemoryMiB: mem, Running: v.Running})
	}
	return nil
}
