package drill

import (
	"fmt"
	"sort"
	"time"
)

// Sample is one second's probes while the AZ is down.
type Sample struct {
	At time.Time `json:"at"`
	// Kube: a config map written and read back through the API endpoint.
	KubeOK  bool   `json:"kube_ok"`
	KubeErr string `json:"kube_error,omitempty"`
	// Quorum: a surviving control plane's etcd lists its members (which
	// needs a leader) and reports a leader in its status.
	QuorumOK  bool   `json:"quorum_ok"`
	QuorumErr string `json:"quorum_error,omitempty"`
	// Ceph: an object written to the pool through a surviving host.
	CephOK  bool   `json:"ceph_ok"`
	CephErr string `json:"ceph_error,omitempty"`
	// NotReady are the nodes and pods the API reports not Ready (nil
	// when the API did not answer).
	NotReadyNodes []string `json:"not_ready_nodes,omitempty"`
	NotReadyPods  []string `json:"not_ready_pods,omitempty"`
}

// Recovery is how long each part took to be healthy again after the AZ
// came back; a nil duration was not reached before the wait gave up.
type Recovery struct {
	Etcd  *Seconds `json:"etcd_healthy_after,omitempty"`
	Ceph  *Seconds `json:"ceph_health_ok_after,omitempty"`
	Nodes *Seconds `json:"all_nodes_ready_after,omitempty"`
	// Last is what the last check of each part saw.
	Last map[string]string `json:"last_seen,omitempty"`
}

// Seconds is a duration reported in seconds.
type Seconds float64

// Secs is d in Seconds.
func Secs(d time.Duration) *Seconds { s := Seconds(d.Seconds()); return &s }

// Promise is one claim the drill checks, held or broken, with evidence.
type Promise struct {
	Name     string `json:"name"`
	Held     bool   `json:"held"`
	Measured string `json:"measured"`
	Evidence string `json:"evidence,omitempty"`
}

// Report is the az-loss drill's outcome (drill-az-loss.json).
type Report struct {
	Cluster string   `json:"cluster"`
	AZ      string   `json:"az"`
	Mode    string   `json:"mode"` // "simulator (dark=DC2)", "proxmox (VMs stopped)"
	Resumed []string `json:"resumed,omitempty"`
	// LeaderBefore is the control plane etcd's leader ran on before the AZ
	// went down: losing the leader's AZ costs an election.
	LeaderBefore string    `json:"etcd_leader_before,omitempty"`
	DownAt       time.Time `json:"down_at"`
	BackAt       time.Time `json:"back_at"`
	Samples      []Sample  `json:"samples"`
	Recovery     Recovery  `json:"recovery"`
	Promises     []Promise `json:"promises"`
	// Availability is the share of Kubernetes probes that succeeded.
	Availability float64 `json:"kube_availability"`
	// NodesNotReady and PodsNotReady are every node and pod seen not
	// Ready while the AZ was down.
	NodesNotReady []string `json:"nodes_not_ready"`
	PodsNotReady  []string `json:"pods_not_ready"`
}

// MinAvailability is the share of Kubernetes probes that must succeed
// while one AZ is down.
const MinAvailability = 0.99

// Judge fills the verdicts from the samples and the recovery.
func (r *Report) Judge() {
	n := len(r.Samples)
	kube, quorum, ceph := 0, 0, 0
	var firstKube, firstQuorum, firstCeph string
	nodes, pods := map[string]bool{}, map[string]bool{}
	for _, s := range r.Samples {
		count(s.KubeOK, &kube, &firstKube, s.At, s.KubeErr)
		count(s.QuorumOK, &quorum, &firstQuorum, s.At, s.QuorumErr)
		count(s.CephOK, &ceph, &firstCeph, s.At, s.CephErr)
		for _, x := range s.NotReadyNodes {
			nodes[x] = true
		}
		for _, x := range s.NotReadyPods {
			pods[x] = true
		}
	}
	r.NodesNotReady, r.PodsNotReady = sortedSet(nodes), sortedSet(pods)
	if n > 0 {
		r.Availability = float64(kube) / float64(n)
	}
	r.Promises = []Promise{
		{Name: "Kubernetes API available through the other AZs", Held: n > 0 && r.Availability > MinAvailability,
			Measured: fmt.Sprintf("%d/%d write+read probes succeeded (%.1f%%, promise > %.0f%%)", kube, n, 100*r.Availability, 100*MinAvailability),
			Evidence: firstKube},
		{Name: "etcd kept quorum", Held: n > 0 && quorum == n,
			Measured: fmt.Sprintf("%d/%d probes found a leader on a surviving control plane", quorum, n), Evidence: firstQuorum},
		{Name: "Ceph stayed writable (size 3, min_size 2)", Held: n > 0 && ceph == n,
			Measured: fmt.Sprintf("%d/%d object writes through a surviving host succeeded", ceph, n), Evidence: firstCeph},
	}
	rec := func(name string, d *Seconds, what string) Promise {
		p := Promise{Name: name, Held: d != nil, Evidence: r.Recovery.Last[what]}
		if d != nil {
			p.Measured = fmt.Sprintf("%.1fs after the AZ came back", float64(*d))
		} else {
			p.Measured = "not reached before the wait gave up"
		}
		return p
	}
	r.Promises = append(r.Promises,
		rec("etcd healthy again (every member answers, one leader)", r.Recovery.Etcd, "etcd"),
		rec("Ceph HEALTH_OK again", r.Recovery.Ceph, "ceph"),
		rec("every node Ready again", r.Recovery.Nodes, "nodes"))
}

// Held says whether every promise held.
func (r *Report) Held() bool {
	for _, p := range r.Promises {
		if !p.Held {
			return false
		}
	}
	return len(r.Promises) > 0
}

// count tallies one probe and keeps the first failure as evidence.
func count(ok bool, n *int, first *string, at time.Time, why string) {
	if ok {
		*n++
		return
	}
	if *first == "" {
		*first = fmt.Sprintf("first failure at %s: %s", at.UTC().Format(time.RFC3339), why)
	}
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
