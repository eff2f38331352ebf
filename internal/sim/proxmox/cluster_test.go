package proxmox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	pxapi "github.com/Telmate/proxmox-api-go/proxmox"

	"github.com/tripod-dev/tripod/internal/sim/proxmox"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

func getMap(t *testing.T, c *pxapi.Client, path string) map[string]any {
	t.Helper()
	m, err := c.GetItemConfigMapStringInterface(context.Background(), path, "get", path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return m
}

func getList(t *testing.T, c *pxapi.Client, path string) []map[string]any {
	t.Helper()
	l, err := c.GetItemListInterfaceArray(context.Background(), path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	out := make([]map[string]any, len(l))
	for i, e := range l {
		out[i] = e.(map[string]any)
	}
	return out
}

func taskLog(t *testing.T, c *pxapi.Client, upid string) string {
	t.Helper()
	var lines []string
	for _, e := range getList(t, c, "/nodes/"+strings.Split(upid, ":")[1]+"/tasks/"+upid+"/log") {
		lines = append(lines, e["t"].(string))
	}
	return strings.Join(lines, "\n")
}

func joinParams(w *world, peer, fp, password string) map[string]any {
	if fp == "" {
		fp = w.sim.Fingerprint(peer)
	}
	return map[string]any{"hostname": w.hosts[peer].PublicIP, "fingerprint": fp, "password": password}
}

// quorate reads cluster status: the cluster entry's quorate and online nodes.
func quorate(t *testing.T, c *pxapi.Client) (q float64, online []string) {
	for _, e := range getList(t, c, "/cluster/status") {
		switch e["type"] {
		case "cluster":
			q = e["quorate"].(float64)
		case "node":
			if e["online"].(float64) == 1 {
				online = append(online, e["name"].(string))
			}
		}
	}
	return q, online
}

func TestCreateClusterAndJoinRefusals(t *testing.T) {
	w := newWorld(t)
	w.three()
	a := w.client("pve1")
	if _, err := a.GetItemConfigMapStringInterface(context.Background(), "/cluster/config/join", "join", "info"); apiErr(err) == nil || apiErr(err).Code != "424" {
		t.Fatalf("join info before create = %v; want 424", err)
	}
	w.mustTask(a, "/cluster/config", map[string]any{"clustername": "tripod"})
	if _, err := post(a, "/cluster/config", map[string]any{"clustername": "again"}); apiErr(err) == nil || !strings.Contains(apiErr(err).Message, "already exists") {
		t.Fatalf("second create = %v", err)
	}
	info := getMap(t, a, "/cluster/config/join")
	if nl := info["nodelist"].([]any); len(nl) != 1 || nl[0].(map[string]any)["pve_fp"] != w.sim.Fingerprint("pve1") {
		t.Fatalf("join info = %v", info)
	}
	b := w.client("pve2")
	wrongFP := strings.Repeat("AB:", 31) + "AB"
	upid, err := post(b, "/cluster/config/join", joinParams(w, "pve1", wrongFP, "pw-pve1"))
	if err != nil {
		t.Fatal(err)
	}
	if st := w.wait(b, upid); !strings.HasPrefix(st, "fingerprint '"+w.sim.Fingerprint("pve1")+"' not verified") {
		t.Fatalf("join with a wrong fingerprint ended %q", st)
	}
	upid, _ = post(b, "/cluster/config/join", joinParams(w, "pve1", "", "wrong"))
	if st := w.wait(b, upid); st != "401 authentication failure" {
		t.Fatalf("join with a wrong password ended %q", st)
	}
	w.sim.PreloadVM("pve3", proxmox.PreloadedVM{VMID: 900, Name: "foreign", Cores: 2, MemoryMiB: 2048, Running: true})
	c3 := w.client("pve3")
	upid, _ = post(c3, "/cluster/config/join", joinParams(w, "pve1", "", "pw-pve1"))
	if st := w.wait(c3, upid); st != "Check if node may join a cluster failed!" || !strings.Contains(taskLog(t, c3, upid), "this host already contains virtual guests") {
		t.Fatalf("join of a node with guests ended %q: %s", st, taskLog(t, c3, upid))
	}
	if st := w.sim.State(); len(st.Cluster.Nodes) != 1 {
		t.Fatalf("refused joins changed the cluster: %+v", st.Cluster)
	}
}

// A join re-issues the node's certificate from the cluster CA (pinned
// clients must re-pin from the join info), and the cluster keeps quorum
// while a majority of datacenters is up.
func TestJoinReissuesCertificateAndQuorum(t *testing.T) {
	w := newWorld(t)
	w.three()
	a := w.client("pve1")
	w.mustTask(a, "/cluster/config", map[string]any{"clustername": "tripod"})
	oldFP := w.sim.Fingerprint("pve2")
	upid, _ := post(w.client("pve2"), "/cluster/config/join", joinParams(w, "pve1", "", "pw-pve1"))
	waitMember(t, a, "pve2")
	newFP := w.sim.Fingerprint("pve2")
	if newFP == oldFP {
		t.Fatal("joined node kept its certificate; PVE re-issues it from the cluster CA")
	}
	if _, err := w.httpClient("pve2", oldFP).Get(w.apiURL("pve2") + "/version"); err == nil || !strings.Contains(err.Error(), "does not match pinned") {
		t.Fatalf("a client pinned to the old certificate after the join: %v", err)
	}
	if fp := memberFP(t, a, "pve2"); fp != newFP {
		t.Fatalf("join info pve_fp for pve2 = %s; want %s", fp, newFP)
	}
	b := w.client("pve2") // re-pinned, re-logged in
	if q, online := quorate(t, b); q != 1 || len(online) != 2 {
		t.Fatalf("cluster status on pve2: quorate %v, online %v", q, online)
	}
	if st := w.wait(b, upid); st != "OK" {
		t.Fatalf("join task ended %q", st)
	}
	post(w.client("pve3"), "/cluster/config/join", joinParams(w, "pve2", "", "pw-pve2"))
	waitMember(t, a, "pve3")
	c3 := w.client("pve3")
	if q, online := quorate(t, c3); q != 1 || len(online) != 3 {
		t.Fatalf("cluster status: quorate %v, online %v", q, online)
	}
	if n := len(getList(t, c3, "/cluster/resources?type=node")); n != 3 {
		t.Fatalf("/cluster/resources lists %d nodes; want 3", n)
	}
	if st := w.sim.State(); st.Cluster.Name != "tripod" || len(st.Cluster.Nodes) != 3 || !st.Cluster.Quorate {
		t.Fatalf("State().Cluster = %+v", st.Cluster)
	}
	w.env.Faults.SetDark("DC5", true)
	if q, online := quorate(t, a); q != 1 || len(online) != 2 {
		t.Fatalf("one DC dark: quorate %v, online %v", q, online)
	}
	w.env.Faults.SetDark("DC3", true)
	if q, _ := quorate(t, a); q != 0 {
		t.Fatal("two of three DCs dark and still quorate")
	}
}

func waitMember(t *testing.T, c *pxapi.Client, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range getList(t, c, "/cluster/config/nodes") {
			if n["node"] == name {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never joined", name)
}

func memberFP(t *testing.T, c *pxapi.Client, name string) string {
	for _, n := range getMap(t, c, "/cluster/config/join")["nodelist"].([]any) {
		if m := n.(map[string]any); m["name"] == name {
			return m["pve_fp"].(string)
		}
	}
	return ""
}

// A token created on the first node works on members that joined later:
// token.cfg lives in the cluster file system.
func TestTokenFollowsClusterFileSystem(t *testing.T) {
	w := newWorld(t)
	w.three()
	a := w.client("pve1")
	w.mustTask(a, "/cluster/config", map[string]any{"clustername": "tripod"})
	secret, err := a.New().ApiToken.Create(context.Background(), pxapi.UserID{Name: "root", Realm: "pam"}, pxapi.ApiTokenConfig{Name: "tripod", PrivilegeSeparation: new(bool)})
	if err != nil {
		t.Fatal(err)
	}
	post(w.client("pve2"), "/cluster/config/join", joinParams(w, "pve1", "", "pw-pve1"))
	waitMember(t, a, "pve2")
	tok := w.tokenClient("pve2", "root@pam!tripod", string(secret))
	if _, err := tok.GetNodeList(context.Background()); err != nil {
		t.Fatalf("cluster token on a joined node: %v", err)
	}
}

// Joins take the cluster-wide corosync.conf lock: a second join while one
// runs is aborted, and succeeds once the first is done.
func TestJoinsAreSerialized(t *testing.T) {
	w := newWorldWith(t, simcore.Realistic, 0.02)
	w.three()
	a := w.client("pve1")
	w.mustTask(a, "/cluster/config", map[string]any{"clustername": "tripod"})
	b, c3 := w.client("pve2"), w.client("pve3")
	first, _ := post(b, "/cluster/config/join", joinParams(w, "pve1", "", "pw-pve1"))
	second, _ := post(c3, "/cluster/config/join", joinParams(w, "pve1", "", "pw-pve1"))
	if st := w.wait(c3, second); st != "Cluster join aborted!" || !strings.Contains(taskLog(t, c3, second), "got lock request timeout") {
		t.Fatalf("concurrent join ended %q: %s", st, taskLog(t, c3, second))
	}
	_ = first
	waitMember(t, a, "pve2")
	post(c3, "/cluster/config/join", joinParams(w, "pve1", "", "pw-pve1"))
	waitMember(t, a, "pve3")
}
