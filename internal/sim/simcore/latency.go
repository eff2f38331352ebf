package simcore

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"time"
)

// Op names one simulated operation whose duration the latency profile sets.
type Op string

// The operations whose real-world durations a profile describes.
const (
	OpServiceReady    Op = "scaleway.service.ready"   // Dedibox order: service delivering -> ready
	OpServerDelivery  Op = "scaleway.server.delivery" // server delivering/ordered -> ready
	OpOSInstall       Op = "scaleway.os.install"      // install requested -> installed/completed
	OpServerDelete    Op = "scaleway.server.delete"   // deleting -> gone
	OpPrivateNetwork  Op = "scaleway.private-network" // RPN group / private network attach
	OpPVETask         Op = "proxmox.task"             // a generic short Proxmox task
	OpPVEClusterJoin  Op = "proxmox.cluster.join"     // one node joining the cluster
	OpCephInstall     Op = "proxmox.ceph.install"     // pveceph install over SSH
	OpCephDaemon      Op = "proxmox.ceph.daemon"      // creating a mon, mgr or OSD
	OpCephPool        Op = "proxmox.ceph.pool"        // creating a pool
	OpCephSettle      Op = "proxmox.ceph.settle"      // PGs peering after a change, before HEALTH_OK
	OpImageDownload   Op = "proxmox.image.download"   // download-url of a Talos ISO
	OpVMCreate        Op = "proxmox.vm.create"        // qmcreate
	OpVMStart         Op = "proxmox.vm.start"         // qmstart
	OpVMBoot          Op = "talos.boot"               // VM start -> maintenance API answers
	OpTalosInstall    Op = "talos.install"            // apply -> installed, rebooted, mTLS up
	OpEtcdBootstrap   Op = "talos.etcd.bootstrap"     // Bootstrap -> etcd serving
	OpEtcdJoin        Op = "talos.etcd.join"          // a further control plane joining etcd
	OpKubeReady       Op = "kube.ready"               // etcd healthy -> API server ready
	OpNodeReady       Op = "kube.node.ready"          // node configured -> Ready
	OpTalosReboot     Op = "talos.reboot"             // Reboot RPC -> back up
	OpTalosReset      Op = "talos.reset"              // Reset RPC -> maintenance again
	OpAPIRoundTrip    Op = "api.roundtrip"            // per-request service time of any API
	OpHostRTTSameDC   Op = "net.rtt.same-datacenter"  // ICMP RTT between hosts of one datacenter
	OpHostRTTCrossDC  Op = "net.rtt.cross-datacenter" // ICMP RTT between datacenters of one region
	OpHostRTTCrossReg Op = "net.rtt.cross-region"     // ICMP RTT between regions (Paris <-> Amsterdam)
)

// Profile is a named set of real-world operation durations. RTT operations are
// not scaled by the time scale: they are reported, not waited for.
type Profile struct {
	Name      string
	Durations map[Op]time.Duration
	// Jitter is the fraction (0..1) by which a duration varies, deterministically
	// per seed, operation and key.
	Jitter float64
}

// Instant is the profile for unit tests: every operation completes at once.
var Instant = Profile{Name: "instant", Durations: map[Op]time.Duration{
	OpHostRTTSameDC:   300 * time.Microsecond,
	OpHostRTTCrossDC:  1200 * time.Microsecond,
	OpHostRTTCrossReg: 9 * time.Millisecond,
}}

// Realistic documents how long each operation takes on the real services.
// Sources: Scaleway's recorded cassettes (Elastic Metal delivery 5s-257s,
// Proxmox VE install about 6 minutes), Dedibox delivery "2 minutes on
// average" (Scaleway's Dedibox FAQ), Proxmox and Talos from operating them.
var Realistic = Profile{Name: "realistic", Jitter: 0.2, Durations: map[Op]time.Duration{
	OpServiceReady:    90 * time.Second,
	OpServerDelivery:  2 * time.Minute,
	OpOSInstall:       12 * time.Minute,
	OpServerDelete:    30 * time.Second,
	OpPrivateNetwork:  20 * time.Second,
	OpPVETask:         2 * time.Second,
	OpPVEClusterJoin:  25 * time.Second,
	OpCephInstall:     3 * time.Minute,
	OpCephDaemon:      15 * time.Second,
	OpCephPool:        8 * time.Second,
	OpCephSettle:      40 * time.Second,
	OpImageDownload:   45 * time.Second,
	OpVMCreate:        6 * time.Second,
	OpVMStart:         3 * time.Second,
	OpVMBoot:          35 * time.Second,
	OpTalosInstall:    90 * time.Second,
	OpEtcdBootstrap:   30 * time.Second,
	OpEtcdJoin:        20 * time.Second,
	OpKubeReady:       60 * time.Second,
	OpNodeReady:       45 * time.Second,
	OpTalosReboot:     60 * time.Second,
	OpTalosReset:      60 * time.Second,
	OpAPIRoundTrip:    80 * time.Millisecond,
	OpHostRTTSameDC:   300 * time.Microsecond,
	OpHostRTTCrossDC:  1200 * time.Microsecond,
	OpHostRTTCrossReg: 9 * time.Millisecond,
}}

// Profiles lists the built-in profiles by name.
var Profiles = map[string]Profile{Instant.Name: Instant, Realistic.Name: Realistic}

// ProfileByName returns the named built-in profile.
func ProfileByName(name string) (Profile, error) {
	p, ok := Profiles[name]
	if !ok {
		names := make([]string, 0, len(Profiles))
		for n := range Profiles {
			names = append(names, n)
		}
		sort.Strings(names)
		return Profile{}, fmt.Errorf("unknown latency profile %q (known: %s)", name, strings.Join(names, ", "))
	}
	return p, nil
}

// base returns the unscaled duration of op with the deterministic jitter for key.
func (p Profile) base(seed int64, op Op, key string) time.Duration {
	d := p.Durations[op]
	if d <= 0 || p.Jitter <= 0 {
		return d
	}
	// A hash of (seed, op, key), not a shared random stream: the same seed gives
	// the same timeline whatever order concurrent requests arrive in.
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s\x00%s", seed, op, key)
	u := float64(h.Sum64()%10001) / 10000 // 0..1
	f := 1 + p.Jitter*(2*u-1)
	return time.Duration(float64(d) * f)
}
