package proxmox

import "strconv"

// dbByID finds a live /etc/pve by its ID.
func (c *Cluster) dbByID(id string) *confDB {
	for _, n := range c.nodes {
		if n.db.ID == id {
			return n.db
		}
	}
	return nil
}

// applyClusterJoin finishes pvecm add: the node becomes a member, drops its
// own /etc/pve for the cluster's (its tickets and tokens stop working), gets
// a certificate from the cluster CA (its pinned fingerprint changes) and
// restarts pveproxy (open connections drop).
func (c *Cluster) applyClusterJoin(n *node, t *task) {
	db := c.dbByID(t.Args["db"])
	if db == nil || db.Corosync == nil {
		t.Err = "Cluster join aborted!"
		return
	}
	nodeid, _ := strconv.Atoi(t.Args["nodeid"])
	if nodeid == 0 {
		for _, m := range db.Corosync.Members {
			nodeid = max(nodeid, m.NodeID)
		}
		nodeid++
	}
	votes, _ := strconv.Atoi(t.Args["votes"])
	db.Corosync.Members = append(db.Corosync.Members, &member{Name: n.Info.Hostname, NodeID: nodeid, Votes: votes, IP: t.Args["ip"]})
	db.Corosync.Version++
	n.db, n.DBID = db, db.ID
	n.CertGen++
	cert, err := newNodeCert(c.env.Seed, n.label()+"\x00cluster\x00"+strconv.Itoa(n.CertGen), db.CA, n.Info.Hostname, n.Info.PublicIP, c.env.Now())
	if err != nil {
		t.Err = "unable to generate pve ssl certificate: " + err.Error()
		return
	}
	n.Cert = cert
	n.Term = map[int]*termSession{}
	conns := n.conns
	c.queue(conns.restart)
}
