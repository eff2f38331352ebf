package proxmox

import "sort"

// State is what the simulator holds, for tests and the admin endpoint.
// Cluster is the largest corosync cluster (the one a run builds); Clusters
// lists every one.
type State struct {
	Cluster  ClusterState            `json:"cluster"`
	Clusters []ClusterState          `json:"clusters"`
	Nodes    []NodeState             `json:"nodes"`
	VMs      []VMState               `json:"vms"`
	Ceph     CephState               `json:"ceph"`
	Networks map[string][]IfaceState `json:"networks"`
	Storages []StorageState          `json:"storages"`
	ISOs     map[string][]ISOState   `json:"isos"`
}

// ClusterState is one corosync cluster.
type ClusterState struct {
	Name    string   `json:"name"`
	Nodes   []string `json:"nodes"`
	Quorate bool     `json:"quorate"`
	Version int      `json:"version"`
}

// NodeState is one host.
type NodeState struct {
	Name          string   `json:"name"`
	ServerID      string   `json:"server_id"`
	Placement     string   `json:"placement"`
	PublicIP      string   `json:"public_ip"`
	Online        bool     `json:"online"`
	Cluster       string   `json:"cluster,omitempty"`
	Fingerprint   string   `json:"fingerprint"`
	SSH           bool     `json:"ssh"`
	CephInstalled bool     `json:"ceph_installed"`
	CephRelease   string   `json:"ceph_release,omitempty"`
	Tokens        []string `json:"tokens"`
	RunningTasks  int      `json:"running_tasks"`
	IPForward     bool     `json:"ip_forward"`                // net.ipv4.ip_forward, live
	NAT           []string `json:"nat_postrouting,omitempty"` // nat POSTROUTING rules as iptables -S prints them, live
}

// VMState is one guest.
type VMState struct {
	VMID      int      `json:"vmid"`
	Node      string   `json:"node"`
	Name      string   `json:"name"`
	Status    string   `json:"status"`
	Tags      []string `json:"tags"`
	Cores     int      `json:"cores"`
	MemoryMiB int      `json:"memory_mib"`
	IPCIDR    string   `json:"ip_cidr,omitempty"`
	Lock      string   `json:"lock,omitempty"`
}

// CephState is the Ceph cluster of the main PVE cluster.
type CephState struct {
	FSID        string              `json:"fsid,omitempty"`
	Health      string              `json:"health"`
	Checks      []string            `json:"checks"`
	Mons        []string            `json:"mons"`
	Mgrs        []string            `json:"mgrs"`
	OSDs        []OSDState          `json:"osds"`
	Pools       []PoolState         `json:"pools"`
	Rules       []string            `json:"rules"`
	Datacenters map[string][]string `json:"datacenters"`
}

// OSDState is one OSD.
type OSDState struct {
	ID         int    `json:"id"`
	Host       string `json:"host"`
	Dev        string `json:"dev"`
	Class      string `json:"class"`
	Up         bool   `json:"up"`
	Datacenter string `json:"datacenter,omitempty"`
}

// PoolState is one pool.
type PoolState struct {
	Name    string `json:"name"`
	Size    int    `json:"size"`
	MinSize int    `json:"min_size"`
	PGNum   int    `json:"pg_num"`
	Rule    string `json:"rule"`
}

// IfaceState is one network interface; Pending says how the staged config
// differs ("new", "changed", "deleted", or "").
type IfaceState struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Address string `json:"address,omitempty"`
	Active  bool   `json:"active"`
	Pending string `json:"pending,omitempty"`
}

// StorageState is one storage.cfg entry of the main cluster.
type StorageState struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Content string `json:"content"`
	Pool    string `json:"pool,omitempty"`
}

// ISOState is one downloaded image.
type ISOState struct {
	VolID string `json:"volid"`
	Size  int64  `json:"size"`
}

// State returns a snapshot, with every finished task applied.
func (c *Cluster) State() State {
	unlock := c.lockSettled()
	defer unlock()
	s := State{Networks: map[string][]IfaceState{}, ISOs: map[string][]ISOState{}, Ceph: CephState{Health: "", Datacenters: map[string][]string{}}}
	seen := map[*confDB]bool{}
	var main *confDB
	for _, n := range c.nodeList() {
		s.Nodes = append(s.Nodes, c.nodeState(n))
		s.Networks[n.Info.Hostname] = ifaceStates(n.Net)
		for _, vols := range n.Content {
			for _, v := range vols {
				s.ISOs[n.Info.Hostname] = append(s.ISOs[n.Info.Hostname], ISOState{VolID: v.VolID, Size: v.Size})
			}
		}
		sort.Slice(s.ISOs[n.Info.Hostname], func(i, j int) bool { return s.ISOs[n.Info.Hostname][i].VolID < s.ISOs[n.Info.Hostname][j].VolID })
		if seen[n.db] {
			continue
		}
		seen[n.db] = true
		s.VMs = append(s.VMs, vmStates(c, n.db)...)
		if n.db.Corosync != nil {
			s.Clusters = append(s.Clusters, ClusterState{Name: n.db.Corosync.Name, Nodes: n.db.memberNames(), Quorate: c.quorate(n.db), Version: n.db.Corosync.Version})
		}
		if main == nil || members(n.db) > members(main) || (main.Ceph == nil && n.db.Ceph != nil && members(n.db) == members(main)) {
			main = n.db
		}
	}
	sort.Slice(s.VMs, func(i, j int) bool { return s.VMs[i].VMID < s.VMs[j].VMID })
	if main != nil {
		if main.Corosync != nil {
			s.Cluster = ClusterState{Name: main.Corosync.Name, Nodes: main.memberNames(), Quorate: c.quorate(main), Version: main.Corosync.Version}
		}
		for _, id := range main.storageIDs() {
			st := main.Storage[id]
			s.Storages = append(s.Storages, StorageState{ID: id, Type: st.Type, Content: st.Opts["content"], Pool: st.Opts["pool"]})
		}
		if main.Ceph != nil {
			s.Ceph = c.cephState(main)
		}
	}
	return s
}

func members(db *confDB) int {
	if db.Corosync == nil {
		return 1
	}
	return len(db.Corosync.Members)
}

func (c *Cluster) nodeState(n *node) NodeState {
	ns := NodeState{Name: n.Info.Hostname, ServerID: n.Info.ServerID, Placement: n.Info.Placement, PublicIP: n.Info.PublicIP,
		Online: c.online(n.Info.Hostname), Fingerprint: n.Cert.fingerprint(), SSH: n.Info.SSHEnabled,
		CephInstalled: c.cephInstalled(n), Tokens: []string{}}
	if n.db.Corosync != nil {
		ns.Cluster = n.db.Corosync.Name
	}
	if n.Ceph != nil {
		ns.CephRelease = n.Ceph.Release
	}
	ns.Tokens = append(ns.Tokens, sortedKeys(n.db.Tokens)...)
	ns.IPForward = n.kernel().IPForward
	for _, r := range n.kernel().NAT {
		ns.NAT = append(ns.NAT, "-A POSTROUTING "+r)
	}
	for _, t := range n.Tasks {
		if !c.taskDone(t) {
			ns.RunningTasks++
		}
	}
	return ns
}

func ifaceStates(s *netState) []IfaceState {
	var out []IfaceState
	names := map[string]bool{}
	for k := range s.Running {
		names[k] = true
	}
	for k := range s.Pending {
		names[k] = true
	}
	for _, name := range sortedKeys(names) {
		run, pend := s.Running[name], s.Pending[name]
		i := run
		st := IfaceState{Name: name, Active: s.active(name)}
		switch {
		case s.Pending == nil:
		case run == nil:
			i, st.Pending = pend, "new"
		case pend == nil:
			st.Pending = "deleted"
		case *run != *pend:
			i, st.Pending = pend, "changed"
		}
		st.Type = i.Type
		if i.Address != "" {
			st.Address = i.Address + "/" + itoa(i.Prefix)
		}
		out = append(out, st)
	}
	return out
}

func vmStates(c *Cluster, db *confDB) []VMState {
	var out []VMState
	for _, id := range db.vmIDs() {
		v := db.VMs[id]
		out = append(out, VMState{VMID: id, Node: v.Node, Name: v.Conf["name"], Status: v.Status, Tags: v.tags(),
			Cores: v.cpus(), MemoryMiB: v.memoryMiB(), IPCIDR: c.vmInfo(v).IPCIDR, Lock: v.Lock})
	}
	return out
}

func (c *Cluster) cephState(db *confDB) CephState {
	cc := db.Ceph
	cs := CephState{FSID: cc.FSID, Mons: sortedKeys(cc.Mons), Mgrs: sortedKeys(cc.Mgrs), Datacenters: map[string][]string{}, Checks: []string{}}
	if c.monQuorum(db) {
		h := c.cephHealth(db)
		cs.Health = h.Status
		for _, name := range h.checkNames() {
			cs.Checks = append(cs.Checks, name+": "+h.Checks[name].Message)
		}
	} else {
		cs.Health = "HEALTH_ERR"
		cs.Checks = append(cs.Checks, "MON_QUORUM: no monitor quorum (status requests time out)")
	}
	for _, o := range cc.OSDs {
		st := OSDState{ID: o.ID, Host: o.Host, Dev: o.Dev, Class: o.Class, Up: c.osdUp(db, o)}
		for _, b := range cc.ancestors(o.Host) {
			if b.Type == "datacenter" {
				st.Datacenter = b.Name
			}
		}
		cs.OSDs = append(cs.OSDs, st)
	}
	for _, b := range cc.Buckets {
		if b.Type == "host" {
			for _, a := range cc.ancestors(b.Name) {
				if a.Type == "datacenter" {
					cs.Datacenters[a.Name] = append(cs.Datacenters[a.Name], b.Name)
				}
			}
		}
	}
	for _, p := range cc.Pools {
		cs.Pools = append(cs.Pools, PoolState{Name: p.Name, Size: p.Size, MinSize: p.MinSize, PGNum: p.PGNum, Rule: cc.ruleByID(p.Rule).Name})
	}
	for _, r := range cc.Rules {
		cs.Rules = append(cs.Rules, r.Name)
	}
	return cs
}
