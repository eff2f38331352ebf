package proxmox

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
	"time"
)

// DefaultOperatorSource is the public address the operator's connections to
// the hosts come from unless `sim serve --operator-source` says otherwise:
// a documentation address (TEST-NET-3), in no host's subnet.
const DefaultOperatorSource = "203.0.113.10"

// PortExposure is one service port of a host as a source sees it: where it
// listens, and what the host firewall does with a new connection to it.
type PortExposure struct {
	Port    string `json:"port"` // "22", or a range "6800:7300"
	Proto   string `json:"proto"`
	Service string `json:"service"`
	Address string `json:"address"` // the host address the source reaches it at
	Verdict string `json:"verdict"` // ACCEPT, DROP or REJECT
	// Auth is, for sshd, the login methods it offers (publickey, password)
	// and whether root may log in with a password.
	Auth string `json:"auth,omitempty"`
}

// Exposure is GET /exposure's answer: every service port of Host the
// source could address, with its verdict; Accepts lists the open ones.
type Exposure struct {
	Source  string         `json:"source"`
	Host    string         `json:"host"`
	Accepts []string       `json:"accepts"` // "22/tcp", ...
	Ports   []PortExposure `json:"ports"`
}

// service is one daemon of a Proxmox VE host and where it binds.
type service struct {
	name, proto, port string
	private           bool // bound to the host's private (VLAN) address only
}

// services are what listens on the host now: sshd, pveproxy, spiceproxy and
// rpcbind on every address (a PVE install's defaults); corosync once the
// host is in a cluster, Ceph's monitor and OSDs once it runs them, on the
// private address they were given. pvedaemon and postfix listen on
// loopback only and are not listed.
func (n *node) services() []service {
	var out []service
	if n.Info.SSHEnabled {
		out = append(out, service{"sshd", "tcp", "22", false})
	}
	out = append(out, service{"pveproxy", "tcp", "8006", false}, service{"spiceproxy", "tcp", "3128", false},
		service{"rpcbind", "tcp", "111", false}, service{"rpcbind", "udp", "111", false})
	if n.db.Corosync != nil {
		out = append(out, service{"corosync", "udp", "5405:5412", true})
	}
	if cc := n.db.Ceph; cc != nil {
		if _, ok := cc.Mons[n.Info.Hostname]; ok {
			out = append(out, service{"ceph-mon", "tcp", "3300", true}, service{"ceph-mon", "tcp", "6789", true})
		}
		for _, o := range cc.OSDs {
			if o.Host == n.Info.Hostname {
				out = append(out, service{"ceph-osd", "tcp", "6800:7300", true})
				break
			}
		}
	}
	return out
}

// privateLeg is the host's interface and address on the VLAN, if it has one.
func (n *node) privateLeg() (iface string, addr netip.Addr) {
	for _, name := range sortedIfaces(n.Net.Running) {
		i := n.Net.Running[name]
		a, err := netip.ParseAddr(i.Address)
		if err == nil && a.IsPrivate() {
			return name, a
		}
	}
	return "", netip.Addr{}
}

// localNet is PVE's local_network: the subnet of the address the host name
// resolves to, here vmbr0's public one.
func (n *node) localNet() netip.Prefix {
	i := n.Net.Running["vmbr0"]
	a, err := netip.ParseAddr(n.Info.PublicIP)
	if err != nil || i == nil || i.Prefix == 0 {
		return netip.Prefix{}
	}
	p, _ := a.Prefix(i.Prefix)
	return p
}

// admission is the one decision both the listeners and the exposure query
// take: what the host's firewall does with a new connection from src to
// port/proto, arriving on the public address or on the private leg.
func (n *node) admission(src netip.Addr, private bool, proto string, port int) string {
	iface := "vmbr0"
	if private {
		iface, _ = n.privateLeg()
	}
	return n.db.Firewall.verdict(n.Info.Hostname, n.localNet(), packet{src: src, iface: iface, proto: proto, port: port})
}

// Exposure answers "from source, which ports of host accept a connection?"
// from the same state the listeners enforce. A public source addresses the
// host's public address; a private one (on the VLAN) its private address.
func (c *Cluster) Exposure(source, host string) (Exposure, error) {
	src, err := netip.ParseAddr(source)
	if err != nil {
		return Exposure{}, fmt.Errorf("source %q is not an IP address", source)
	}
	unlock := c.lockSettled()
	defer unlock()
	n := c.nodes[host]
	if n == nil {
		return Exposure{}, fmt.Errorf("no Proxmox host named %q", host)
	}
	ex := Exposure{Source: source, Host: host, Accepts: []string{}, Ports: []PortExposure{}}
	private := src.IsPrivate()
	_, leg := n.privateLeg()
	for _, s := range n.services() {
		addr := n.Info.PublicIP
		if private {
			if !leg.IsValid() {
				continue
			}
			addr = leg.String()
		} else if s.private {
			continue // bound to the VLAN address: nothing on the public side to connect to
		}
		first := s.port
		if lo, _, ok := cutColon(s.port); ok {
			first = lo
		}
		var port int
		fmt.Sscan(first, &port)
		pe := PortExposure{Port: s.port, Proto: s.proto, Service: s.name, Address: addr, Verdict: n.admission(src, private, s.proto, port)}
		if s.name == "sshd" {
			pe.Auth = n.sshd().describe()
		}
		ex.Ports = append(ex.Ports, pe)
		if pe.Verdict == verdictAccept {
			ex.Accepts = append(ex.Accepts, s.port+"/"+s.proto)
		}
	}
	sort.SliceStable(ex.Ports, func(i, j int) bool { return ex.Ports[i].Service < ex.Ports[j].Service })
	return ex, nil
}

func cutColon(s string) (string, string, bool) {
	for i := range s {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func (s sshdState) describe() string {
	d := "publickey"
	if s.PasswordAuthentication {
		d += ",password"
	}
	return d + "; PermitRootLogin " + s.PermitRootLogin
}

// filtered puts the host firewall in front of one of the host's public
// listeners: every connection accepted there comes from the operator's
// public source. A DROP holds the connection silent for a SYN timeout
// (127 s, scaled) and resets it; a REJECT resets it at once (tcp-reset).
func (c *Cluster) filtered(ln net.Listener, host string, port int) net.Listener {
	return &fwListener{Listener: ln, decide: func() string {
		c.mu.Lock()
		defer c.mu.Unlock()
		n := c.nodes[host]
		src, err := netip.ParseAddr(c.OperatorSource)
		if n == nil || err != nil {
			return verdictAccept
		}
		return n.admission(src, false, "tcp", port)
	}, synTimeout: time.Duration(float64(127*time.Second) * c.env.TimeScale)}
}

type fwListener struct {
	net.Listener
	decide     func() string
	synTimeout time.Duration
}

func (l *fwListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		switch l.decide() {
		case verdictAccept:
			return conn, nil
		case verdictReject:
			reset(conn)
		default:
			go func() { time.Sleep(l.synTimeout); reset(conn) }()
		}
	}
}

// reset closes a connection with a RST rather than a FIN.
func reset(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
