package proxmox

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

var (
	nodeNameRe    = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?$`)
	fingerprintRe = regexp.MustCompile(`^([A-Fa-f0-9]{2}:){31}[A-Fa-f0-9]{2}$`)
)

const noCorosync = "Corosync config '/etc/pve/corosync.conf' does not exist - is this node part of a cluster?"

func (c *Cluster) joinRoutes() []route {
	return []route{
		{"GET /cluster/config", false, privCheck("/", "Sys.Audit"), spec(), c.configIndex},
		{"POST /cluster/config", true, permRoot, spec("clustername!", "nodeid", "votes", "link[n]", "token-coefficient"), c.createCluster},
		{"GET /cluster/config/join", false, privCheck("/", "Sys.Audit"), spec("node"), c.joinInfo},
		{"POST /cluster/config/join", true, permRoot, spec("hostname!", "fingerprint!", "password!", "nodeid", "votes", "force", "link[n]"), c.joinCluster},
		{"GET /cluster/config/nodes", false, privCheck("/", "Sys.Audit"), spec(), c.configNodes},
		{"GET /cluster/config/totem", false, privCheck("/", "Sys.Audit"), spec(), c.totem},
		{"GET /cluster/config/apiversion", false, privCheck("/", "Sys.Audit"), spec(), func(*call) (any, error) { return 1, nil }},
	}
}

func (c *Cluster) configIndex(*call) (any, error) {
	return []map[string]any{{"name": "apiversion"}, {"name": "join"}, {"name": "nodes"}, {"name": "qdevice"}, {"name": "totem"}}, nil
}

// linkAddress reads "link0=address=10.0.0.1,priority=1" or "link0=10.0.0.1".
func linkAddress(q *call, def string) string {
	v := q.str("link0")
	if v == "" {
		return def
	}
	for _, part := range strings.Split(v, ",") {
		if a, ok := strings.CutPrefix(part, "address="); ok {
			return a
		}
		if !strings.Contains(part, "=") {
			return part
		}
	}
	return def
}

// createCluster is POST /cluster/config: a root@pam ticket only; the
// corosync.conf appears when the clustercreate task finishes.
func (c *Cluster) createCluster(q *call) (any, error) {
	name := q.str("clustername")
	if len(name) > 15 || !nodeNameRe.MatchString(name) {
		return nil, paramErr(map[string]string{"clustername": "value does not match the regex pattern"})
	}
	n := q.node
	if n.db.Corosync != nil {
		return nil, errf("cluster config '/etc/pve/corosync.conf' already exists")
	}
	t := c.newTask(n, "clustercreate", name, q.who, simcore.OpPVETask)
	t.Kind, t.Args = "clustercreate", map[string]string{"name": name, "nodeid": strconv.Itoa(q.intOr("nodeid", 1)),
		"votes": strconv.Itoa(q.intOr("votes", 1)), "ip": linkAddress(q, n.Info.PublicIP)}
	t.logf("Writing corosync key to /etc/corosync/authkey")
	t.logf("Writing corosync config to /etc/pve/corosync.conf")
	t.logf("Restart corosync and cluster filesystem")
	return t.UPID, nil
}

func (c *Cluster) applyClusterCreate(n *node, t *task) {
	if n.db.Corosync != nil {
		t.Err = "cluster config '/etc/pve/corosync.conf' already exists"
		return
	}
	nodeid, _ := strconv.Atoi(t.Args["nodeid"])
	votes, _ := strconv.Atoi(t.Args["votes"])
	n.db.Corosync = &corosync{Name: t.Args["name"], Version: 1, Created: c.env.Now(),
		Members: []*member{{Name: n.Info.Hostname, NodeID: nodeid, Votes: votes, IP: t.Args["ip"]}}}
}

func (c *Cluster) joinInfo(q *call) (any, error) {
	db := q.local.db
	if db.Corosync == nil {
		return nil, &apiError{status: 424, msg: "node is not in a cluster, no join info available!"}
	}
	preferred := q.str("node")
	if preferred == "" {
		preferred = q.local.Info.Hostname
	}
	list := []map[string]any{}
	for _, m := range db.Corosync.Members {
		e := map[string]any{"name": m.Name, "nodeid": m.NodeID, "quorum_votes": m.Votes, "ring0_addr": m.IP, "pve_addr": m.IP}
		if n := c.nodes[m.Name]; n != nil {
			e["pve_addr"], e["pve_fp"] = n.Info.PublicIP, n.Cert.fingerprint()
		}
		list = append(list, e)
	}
	return map[string]any{"nodelist": list, "preferred_node": preferred, "totem": c.totemConf(db),
		"config_digest": hexID("corosync", db.ID, strconv.Itoa(db.Corosync.Version))[:40]}, nil
}

func (c *Cluster) totemConf(db *confDB) map[string]any {
	return map[string]any{"cluster_name": db.Corosync.Name, "config_version": strconv.Itoa(db.Corosync.Version),
		"interface": map[string]any{"0": map[string]any{"linknumber": "0"}}, "ip_version": "ipv4-6",
		"link_mode": "passive", "secauth": "on", "version": "2"}
}

func (c *Cluster) totem(q *call) (any, error) {
	if q.local.db.Corosync == nil {
		return map[string]any{}, nil
	}
	return c.totemConf(q.local.db), nil
}

func (c *Cluster) configNodes(q *call) (any, error) {
	db := q.local.db
	if db.Corosync == nil {
		return nil, errf(noCorosync)
	}
	out := []map[string]any{}
	for _, m := range db.Corosync.Members {
		out = append(out, map[string]any{"node": m.Name, "name": m.Name, "nodeid": strconv.Itoa(m.NodeID),
			"quorum_votes": strconv.Itoa(m.Votes), "ring0_addr": m.IP})
	}
	return out, nil
}

// findPeer resolves the hostname a join names: a node name, or an address.
func (c *Cluster) findPeer(host string) *node {
	if n := c.nodes[host]; n != nil {
		return n
	}
	for _, n := range c.nodes {
		if n.Info.PublicIP == host {
			return n
		}
	}
	return nil
}

// joinCluster is POST /cluster/config/join on the joining node. Everything
// pvecm add checks is decided now, but reported as the clusterjoin task's
// result, as real PVE does from inside its worker.
func (c *Cluster) joinCluster(q *call) (any, error) {
	fp := q.str("fingerprint")
	if !fingerprintRe.MatchString(fp) {
		return nil, paramErr(map[string]string{"fingerprint": "value does not match the regex pattern"})
	}
	n := q.node
	t := c.newTask(n, "clusterjoin", "", q.who, simcore.OpPVEClusterJoin)
	if errs := c.joinableErrors(n); len(errs) > 0 && !q.boolOr("force", false) {
		t.logf("detected the following error(s):")
		for _, e := range errs {
			t.logf("* %s", e)
		}
		t.Op = simcore.OpPVETask
		return t.fail("Check if node may join a cluster failed!").UPID, nil
	}
	host := q.str("hostname")
	t.logf("Establishing API connection with host '%s'", host)
	if msg := c.joinPeerError(n, host, fp, q.str("password"), t); msg != "" {
		t.Op = simcore.OpPVETask
		return t.fail(msg).UPID, nil
	}
	peer := c.findPeer(host)
	t.Kind, t.Args = "clusterjoin", map[string]string{"db": peer.db.ID, "ip": linkAddress(q, n.Info.PublicIP),
		"votes": strconv.Itoa(q.intOr("votes", 1)), "nodeid": strconv.Itoa(q.intOr("nodeid", 0))}
	for _, l := range []string{"Login succeeded.", "check cluster join API version", "Request addition of this node",
		"Join request OK, finishing setup locally", "stopping pve-cluster service", "waiting for quorum...OK",
		"(re)generate node files", "generate new node certificate", "merge authorized SSH keys",
		"generated new node certificate, restart pveproxy and pvedaemon services"} {
		t.logf("%s", l)
	}
	t.logf("successfully added node '%s' to cluster.", n.Info.Hostname)
	return t.UPID, nil
}

// joinableErrors is assert_joinable: what makes this node unfit to join.
func (c *Cluster) joinableErrors(n *node) []string {
	var errs []string
	if n.db.Corosync != nil {
		errs = append(errs, "authentication key '/etc/corosync/authkey' already exists",
			"cluster config '/etc/pve/corosync.conf' already exists")
	}
	if len(n.db.VMs) > 0 {
		errs = append(errs, "this host already contains virtual guests")
	}
	return errs
}

// joinPeerError is what the API connection to the peer and its addnode call
// report, "" when the join can go ahead.
func (c *Cluster) joinPeerError(n *node, host, fp, password string, t *task) string {
	peer := c.findPeer(host)
	switch {
	case peer == nil || peer == n:
		return fmt.Sprintf("500 Can't connect to %s:8006 (Name or service not known)", host)
	case !c.online(peer.Info.Hostname):
		return fmt.Sprintf("500 Can't connect to %s:8006 (Connection timed out)", host)
	case !strings.EqualFold(fp, peer.Cert.fingerprint()):
		return fmt.Sprintf("fingerprint '%s' not verified, abort!", peer.Cert.fingerprint())
	case password != peer.Info.RootPassword:
		return "401 authentication failure"
	}
	peerErr := ""
	switch db := peer.db; {
	case db.Corosync == nil:
		peerErr = noCorosync
	case c.joinInProgress(db.ID):
		peerErr = "error with cfs lock 'file-corosync_conf': got lock request timeout"
	case !c.quorate(db):
		peerErr = "cluster not ready - no quorum?"
	case db.member(n.Info.Hostname) != nil:
		peerErr = "Node/IP: " + n.Info.Hostname + " is already defined as node name"
	}
	if peerErr == "" {
		return ""
	}
	t.logf("Login succeeded.")
	t.logf("Request addition of this node")
	t.logf("An error occured on the cluster node: %s", peerErr)
	return "Cluster join aborted!"
}

// joinInProgress reports whether a join into the cluster of db is running:
// joins take the cluster-wide corosync.conf lock, so they are serialized.
func (c *Cluster) joinInProgress(dbID string) bool {
	for _, n := range c.nodes {
		for _, t := range n.Tasks {
			if t.Kind == "clusterjoin" && !t.Applied && t.Args["db"] == dbID {
				return true
			}
		}
	}
	return false
}
