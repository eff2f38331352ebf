package proxmox

import (
	"encoding/json"
	"errors"
	"fmt"
)

const saveFormat = 1

type savedCluster struct {
	Format         int                      `json:"format"`
	Version        string                   `json:"version"`
	HostReserveMiB int64                    `json:"host_reserve_mib"`
	OSDMemoryMiB   int64                    `json:"osd_memory_mib"`
	Nodes          []*node                  `json:"nodes"`
	DBs            []*confDB                `json:"dbs"`
	Preloads       map[string][]PreloadedVM `json:"preloads"`
}

// Save returns the whole simulated fleet as JSON: hosts (with their keys and
// certificates), every /etc/pve, networks, disks, content and tasks with
// their start times, so a world resumes where it was. Open termproxy
// sessions are not kept.
func (c *Cluster) Save() ([]byte, error) {
	unlock := c.lockSettled()
	defer unlock()
	s := savedCluster{Format: saveFormat, Version: c.Version, HostReserveMiB: c.HostReserveMiB, OSDMemoryMiB: c.OSDMemoryMiB,
		Nodes: c.nodeList(), Preloads: c.preloads}
	seen := map[string]bool{}
	for _, n := range s.Nodes {
		if !seen[n.db.ID] {
			seen[n.db.ID] = true
			s.DBs = append(s.DBs, n.db)
		}
	}
	return json.Marshal(s)
}

// Load restores a fleet saved by Save into an empty Cluster and reopens
// every host's listeners itself (the top level does not call AddHost again;
// if it does, AddHost of a present server is a no-op). Tasks keep their
// start times, so work in flight finishes on the scaled clock as before.
func (c *Cluster) Load(data []byte) error {
	var s savedCluster
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("failed to load Proxmox simulator state: %w", err)
	}
	if s.Format != saveFormat {
		return fmt.Errorf("failed to load Proxmox simulator state: format %d, want %d", s.Format, saveFormat)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.nodes) > 0 {
		return errors.New("failed to load Proxmox simulator state: hosts already present")
	}
	dbs := map[string]*confDB{}
	for _, db := range s.DBs {
		dbs[db.ID] = db
	}
	now := c.env.Now()
	for _, n := range s.Nodes {
		if n.db = dbs[n.DBID]; n.db == nil {
			return fmt.Errorf("failed to load Proxmox simulator state: node %s has no /etc/pve %s", n.Info.Hostname, n.DBID)
		}
		n.Term = map[int]*termSession{}
		for _, t := range n.Tasks {
			if t.Manual && t.End == nil {
				end := now
				t.End = &end
			}
		}
	}
	c.Version, c.HostReserveMiB, c.OSDMemoryMiB = s.Version, s.HostReserveMiB, s.OSDMemoryMiB
	c.preloads = s.Preloads
	if c.preloads == nil {
		c.preloads = map[string][]PreloadedVM{}
	}
	for _, n := range s.Nodes {
		if err := c.startNode(n); err != nil {
			return err
		}
		c.nodes[n.Info.Hostname] = n
	}
	return nil
}
