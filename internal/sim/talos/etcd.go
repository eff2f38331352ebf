package talos

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// memberInfo is what a control plane keeps of its etcd member across
// restarts: its name, data directory and the loopback ports it serves on.
// Ports must stay the same across restarts because the other members know
// this member by its peer URL.
type memberInfo struct {
	Name       string `json:"name"`
	Dir        string `json:"dir"` // relative to the Nodes data directory
	PeerPort   int    `json:"peer_port"`
	ClientPort int    `json:"client_port"`
}

func (mi *memberInfo) peerURL() string   { return "https://127.0.0.1:" + strconv.Itoa(mi.PeerPort) }
func (mi *memberInfo) clientURL() string { return "https://127.0.0.1:" + strconv.Itoa(mi.ClientPort) }

// newMemberInfo picks a data directory and two loopback ports. Real nodes
// use https://<ip>:2380 and :2379; the simulator reports those addresses
// (see urlMap) while etcd itself only ever binds 127.0.0.1, over mutual
// TLS as the real one (etcd_tls.go).
func newMemberInfo(name, dir, seed string, reserved map[int]bool) (*memberInfo, error) {
	peer, err := freePort(seed+"/peer", reserved)
	if err != nil {
		return nil, err
	}
	reserved[peer] = true
	client, err := freePort(seed+"/client", reserved)
	if err != nil {
		return nil, err
	}
	return &memberInfo{Name: name, Dir: dir, PeerPort: peer, ClientPort: client}, nil
}

// Member ports come from below every common ephemeral range (Linux starts
// at 32768, macOS and Windows at 49152): a member keeps its ports across
// restarts, and while it is stopped no listener the simulator opens on
// port 0 can be handed one of them.
const portBase, portSpan = 20000, 12000

// freePort picks a port that is free now and not reserved by another
// member, starting from a point derived from seed so choices are stable.
func freePort(seed string, reserved map[int]bool) (int, error) {
	h := fnv.New32a()
	h.Write([]byte(seed))
	start := int(h.Sum32() % portSpan)
	for i := range portSpan {
		port := portBase + (start+i)%portSpan
		if reserved[port] {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		ln.Close()
		return port, nil
	}
	return 0, errors.New("no free loopback port for etcd")
}

// hasData reports whether the data directory holds a member: the real
// node's "etcd data directory is not empty".
func hasData(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "member", "wal"))
	return err == nil
}

// member is a running embedded etcd server and a client to it.
type member struct {
	info *memberInfo
	e    *embed.Etcd
	cli  *clientv3.Client
	id   uint64

	stopOnce sync.Once
	closed   chan struct{} // closed once etcd has released its files and ports
}

// startMember starts etcd for info in dir, serving and dialing with pki.
// state is "new" to bootstrap a cluster, "existing" to join one; with data
// already in dir etcd ignores both and restarts from its WAL.
func startMember(info *memberInfo, pki *etcdPKI, dir, initialCluster, state, token, logFile string) (*member, error) {
	peer, _ := url.Parse(info.peerURL())
	client, _ := url.Parse(info.clientURL())
	cfg := embed.NewConfig()
	cfg.Name = info.Name
	cfg.Dir = dir
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
	cfg.InitialCluster = initialCluster
	cfg.ClusterState = state
	cfg.InitialClusterToken = token
	cfg.LogLevel = "error"
	cfg.LogOutputs = []string{logFile}
	// The simulator's durability is the process's: skipping fsync keeps a
	// shared test machine's disks out of the timeline.
	cfg.UnsafeNoFsync = true
	// etcd refuses member changes for 5s after any member became active
	// (StrictReconfigCheck). Joins go one learner at a time and that wait is
	// part of OpEtcdJoin's duration, so the simulator does not add it again.
	cfg.StrictReconfigCheck = false
	pki.apply(cfg)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to start etcd member %s: %w", info.Name, err)
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{info.clientURL()},
		DialTimeout: 5 * time.Second,
		TLS:         pki.client,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		e.Server.HardStop()
		e.Close()
		return nil, fmt.Errorf("failed to connect to etcd member %s: %w", info.Name, err)
	}
	return &member{info: info, e: e, cli: cli, id: uint64(e.Server.MemberID()), closed: make(chan struct{})}, nil
}

// running reports whether the server is still up (a member removed from
// its cluster stops by itself).
func (m *member) running() bool {
	select {
	case <-m.e.Server.StopNotify():
		return false
	default:
		return true
	}
}

// ready reports whether the member has published itself to its cluster.
func (m *member) ready() bool {
	select {
	case <-m.e.Server.ReadyNotify():
		return true
	default:
		return false
	}
}

// leader is the member's view of the current leader, 0 when it has none.
func (m *member) leader() uint64 {
	if !m.running() {
		return 0
	}
	return uint64(m.e.Server.Leader())
}

// waitReady waits until the member has joined its cluster and serves.
func (m *member) waitReady(ctx context.Context) error {
	select {
	case <-m.e.Server.ReadyNotify():
		return nil
	case <-m.e.Server.StopNotify():
		return errors.New("etcd stopped before it was ready")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop shuts the member down. hard skips the leadership transfer a graceful
// stop does: a powered-off VM says goodbye to nobody. The hard part is
// synchronous (raft stops, files close); releasing connections and ports
// finishes in the background, signalled by closed.
func (m *member) stop(background func(func()), hard bool) {
	m.stopOnce.Do(func() {
		m.cli.Close()
		if hard {
			m.e.Server.HardStop()
		}
		background(func() {
			m.e.Close()
			close(m.closed)
		})
	})
}
