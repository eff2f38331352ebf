package proxmox

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// cephInstall is `pveceph install` on one node: the packages are there once
// OpCephInstall has passed since Start.
type cephInstall struct {
	Start   time.Time `json:"start"`
	Release string    `json:"release"` // reef, squid
	Repo    string    `json:"repo"`
}

var cephVersions = map[string]string{
	"reef":  "18.2.7 (4cac8341a72477c60a6f153f3ed344b49870c932) reef (stable)",
	"squid": "19.2.3 (2b7c1d3d9fa15cdd04a57a4c7d7d1b4c8d7c3e2a) squid (stable)",
}

var crushTypes = []string{"osd", "host", "chassis", "rack", "row", "pdu", "pod", "room", "datacenter", "zone", "region", "root"}

// cephCluster is ceph.conf plus the cluster maps the monitors keep. It lives
// in /etc/pve (confDB), so every member of a PVE cluster sees the same Ceph.
type cephCluster struct {
	FSID           string                 `json:"fsid"`
	Network        string                 `json:"network"`
	ClusterNetwork string                 `json:"cluster_network,omitempty"`
	Size           int                    `json:"size"`
	MinSize        int                    `json:"min_size"`
	Release        string                 `json:"release"`
	Created        time.Time              `json:"created"`
	Mons           map[string]*cephDaemon `json:"mons"`
	Mgrs           map[string]*cephDaemon `json:"mgrs"`
	OSDs           []*cephOSD             `json:"osds"`
	Buckets        []*crushBucket         `json:"buckets"`
	Rules          []*crushRule           `json:"rules"`
	Pools          []*cephPool            `json:"pools"`
	Epoch          int                    `json:"epoch"`
	LastChange     time.Time              `json:"last_change"`
	DarkSig        string                 `json:"dark_sig"`
}

type cephDaemon struct {
	Node string `json:"node"`
	Addr string `json:"addr"`
}

type cephOSD struct {
	ID    int    `json:"id"`
	Host  string `json:"host"`
	Dev   string `json:"dev"`
	Class string `json:"class"`
	Bytes int64  `json:"bytes"`
}

// crushBucket is a CRUSH map bucket; Parent "" means unattached (a root, or
// a bucket just added and not moved yet).
type crushBucket struct {
	ID     int    `json:"id"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Parent string `json:"parent,omitempty"`
}

type crushRule struct {
	ID     int    `json:"id"`
	Name   string `json:"name"`
	Root   string `json:"root"`
	Domain string `json:"domain"`
	Class  string `json:"class,omitempty"`
}

type cephPool struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	Size      int       `json:"size"`
	MinSize   int       `json:"min_size"`
	PGNum     int       `json:"pg_num"`
	Rule      int       `json:"rule"`
	App       string    `json:"app"`
	Autoscale string    `json:"autoscale"`
	Created   time.Time `json:"created"`
}

func newCephCluster(fsid, network, clusterNet, release string, size, minSize int, now time.Time) *cephCluster {
	return &cephCluster{
		FSID: fsid, Network: network, ClusterNetwork: clusterNet, Release: release, Size: size, MinSize: minSize,
		Created: now, Mons: map[string]*cephDaemon{}, Mgrs: map[string]*cephDaemon{}, Epoch: 1, LastChange: now,
		Buckets: []*crushBucket{{ID: -1, Name: "default", Type: "root"}},
		Rules:   []*crushRule{{ID: 0, Name: "replicated_rule", Root: "default", Domain: "host"}},
	}
}

// installed reports whether pveceph install has finished on n.
func (c *Cluster) cephInstalled(n *node) bool {
	return n.Ceph != nil && c.env.Done(n.Ceph.Start, simcore.OpCephInstall, n.Info.Hostname)
}

func (cc *cephCluster) bucket(name string) *crushBucket {
	for _, b := range cc.Buckets {
		if b.Name == name {
			return b
		}
	}
	return nil
}

func (cc *cephCluster) rule(name string) *crushRule {
	for _, r := range cc.Rules {
		if r.Name == name {
			return r
		}
	}
	return nil
}

func (cc *cephCluster) ruleByID(id int) *crushRule {
	for _, r := range cc.Rules {
		if r.ID == id {
			return r
		}
	}
	return cc.Rules[0]
}

func (cc *cephCluster) pool(name string) *cephPool {
	for _, p := range cc.Pools {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// ancestors lists a bucket's parents up to its root.
func (cc *cephCluster) ancestors(name string) []*crushBucket {
	var out []*crushBucket
	for b := cc.bucket(name); b != nil && b.Parent != "" && len(out) < 16; {
		b = cc.bucket(b.Parent)
		if b == nil {
			break
		}
		out = append(out, b)
	}
	return out
}

// domainOf is the bucket of type domain above an OSD's host under root, or
// nil when the OSD is not under that root.
func (cc *cephCluster) domainOf(o *cephOSD, root, domain string) *crushBucket {
	host := cc.bucket(o.Host)
	if host == nil {
		return nil
	}
	chain := append([]*crushBucket{host}, cc.ancestors(o.Host)...)
	var found *crushBucket
	inRoot := false
	for _, b := range chain {
		if b.Type == domain && found == nil {
			found = b
		}
		if b.Name == root {
			inRoot = true
		}
	}
	if !inRoot {
		return nil
	}
	return found
}

func (cc *cephCluster) nextBucketID() int {
	id := 0
	for _, b := range cc.Buckets {
		id = min(id, b.ID)
	}
	return id - 1
}

func (cc *cephCluster) osdNames() []string {
	out := make([]string, 0, len(cc.OSDs))
	for _, o := range cc.OSDs {
		out = append(out, fmt.Sprintf("osd.%d", o.ID))
	}
	return out
}

func sortedKeys[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func tib(b int64) float64 { return float64(int64(float64(b)/(1<<40)*100000)) / 100000 }

func isCrushType(t string) bool { return contains(crushTypes, t) }

func cephVersion(release string) string {
	if v := cephVersions[release]; v != "" {
		return "ceph version " + v
	}
	return "ceph version " + cephVersions["squid"]
}

func shortVersion(release string) string {
	v, _, _ := strings.Cut(cephVersions[release], " ")
	if v == "" {
		v, _, _ = strings.Cut(cephVersions["squid"], " ")
	}
	return v
}
