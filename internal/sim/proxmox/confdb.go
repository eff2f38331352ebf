package proxmox

import (
	"sort"
	"strings"
	"time"
)

// confDB is one /etc/pve: the cluster file system that pmxcfs replicates.
// A standalone node has its own; nodes of one corosync cluster share one, so
// whatever lives here (auth key, CA, API tokens, storage.cfg, guest configs,
// ceph.conf) follows membership exactly as on real PVE, where a joining node
// throws its own away.
type confDB struct {
	ID       string                 `json:"id"`
	AuthKey  []byte                 `json:"auth_key"`
	CA       *keyPair               `json:"ca"`
	Corosync *corosync              `json:"corosync,omitempty"`
	Tokens   map[string]*apiToken   `json:"tokens"`
	Storage  map[string]*storageCfg `json:"storage"`
	VMs      map[int]*vm            `json:"vms"`
	Ceph     *cephCluster           `json:"ceph,omitempty"`
	HA       map[string]bool        `json:"ha,omitempty"`
	Firewall *pveFirewall           `json:"firewall,omitempty"` // firewall/cluster.fw and nodes/*/host.fw
	Rev      int                    `json:"rev"`                // bumps digests
}

// corosync is corosync.conf: the cluster's name, version and node list.
type corosync struct {
	Name    string    `json:"name"`
	Version int       `json:"version"`
	Members []*member `json:"members"`
	Created time.Time `json:"created"`
}

type member struct {
	Name   string `json:"name"`
	NodeID int    `json:"nodeid"`
	Votes  int    `json:"votes"`
	IP     string `json:"ip"`
}

// apiToken is an entry of token.cfg/user.cfg for root@pam.
type apiToken struct {
	User    string `json:"user"`
	TokenID string `json:"tokenid"`
	Secret  string `json:"secret"`
	Privsep bool   `json:"privsep"`
	Expire  int64  `json:"expire"`
	Comment string `json:"comment,omitempty"`
}

// storageCfg is one storage.cfg section.
type storageCfg struct {
	ID   string            `json:"id"`
	Type string            `json:"type"`
	Opts map[string]string `json:"opts"`
}

func newConfDB(id string, authKey []byte, ca *keyPair) *confDB {
	return &confDB{
		ID:      id,
		AuthKey: authKey,
		CA:      ca,
		Tokens:  map[string]*apiToken{},
		Storage: map[string]*storageCfg{
			"local":     {ID: "local", Type: "dir", Opts: map[string]string{"path": "/var/lib/vz", "content": "iso,vztmpl,backup"}},
			"local-lvm": {ID: "local-lvm", Type: "lvmthin", Opts: map[string]string{"thinpool": "data", "vgname": "pve", "content": "rootdir,images"}},
		},
		VMs: map[int]*vm{},
		HA:  map[string]bool{},
	}
}

func (db *confDB) memberNames() []string {
	if db.Corosync == nil {
		return nil
	}
	out := make([]string, 0, len(db.Corosync.Members))
	for _, m := range db.Corosync.Members {
		out = append(out, m.Name)
	}
	sort.Strings(out)
	return out
}

func (db *confDB) member(name string) *member {
	if db.Corosync == nil {
		return nil
	}
	for _, m := range db.Corosync.Members {
		if strings.EqualFold(m.Name, name) {
			return m
		}
	}
	return nil
}

func (db *confDB) storageIDs() []string {
	ids := make([]string, 0, len(db.Storage))
	for id := range db.Storage {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func (db *confDB) vmIDs() []int {
	ids := make([]int, 0, len(db.VMs))
	for id := range db.VMs {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// storageOnNode reports whether a storage is enabled for node (its "nodes"
// option lists it, or is empty).
func (s *storageCfg) onNode(node string) bool {
	if s.Opts["disable"] == "1" {
		return false
	}
	nodes := s.Opts["nodes"]
	if nodes == "" {
		return true
	}
	for _, n := range strings.Split(nodes, ",") {
		if strings.TrimSpace(n) == node {
			return true
		}
	}
	return false
}

func (s *storageCfg) contents() map[string]bool {
	out := map[string]bool{}
	for _, c := range strings.Split(s.Opts["content"], ",") {
		if c = strings.TrimSpace(c); c != "" {
			out[c] = true
		}
	}
	return out
}

func (s *storageCfg) shared() bool {
	switch s.Type {
	case "rbd", "cephfs", "nfs", "cifs", "pbs", "iscsi", "iscsidirect", "esxi":
		return true
	}
	return s.Opts["shared"] == "1"
}
