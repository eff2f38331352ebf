package talos

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/netip"
	"strings"

	"github.com/siderolabs/crypto/x509"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/siderolabs/talos/pkg/machinery/nethelpers"
	"github.com/siderolabs/talos/pkg/machinery/version"
)

// facts are the values of a machine config the simulator acts on, read once
// when the config is accepted.
type facts struct {
	machineType machine.Type
	hostname    string
	clusterKey  string // which cluster the node belongs to: hash of cluster id and secret
	clusterName string
	endpoint    string // cluster.controlPlane.endpoint as host:port
	endpointURL string // ... as the URL a kubeconfig carries
	k8sVersion  string // from the kubelet image tag
	labels      map[string]string
	certSANs    []string
	addresses   []string // static addresses from machine.network and LinkConfig documents
	osCA        *x509.PEMEncodedCertificateAndKey
	acceptedCAs []*x509.PEMEncodedCertificate
	token       string // machine.token: what trustd checks before signing a worker's certificate
	k8sCA       *x509.PEMEncodedCertificateAndKey
	etcdCA      *x509.PEMEncodedCertificateAndKey // cluster.etcd.ca: what etcd's certificates are issued from

	// What the node's network and time sync use once the config is in
	// place; empty values fall back to the platform's (cloud-init) ones.
	gateway      string   // the default route's gateway
	resolvers    []string // DNS resolvers
	timeServers  []string // NTP servers
	timeSyncOff  bool     // time sync disabled
	installImage string   // machine.install.image, what the install pulls
}

func factsOf(cfg config.Provider, ip, vmName string) facts {
	f := facts{
		machineType: cfg.Machine().Type(),
		hostname:    hostnameOf(cfg, ip, vmName),
		labels:      map[string]string(cfg.Machine().NodeLabels()),
		certSANs:    cfg.Machine().Security().CertSANs(),
		osCA:        cfg.Machine().Security().IssuingCA(),
		acceptedCAs: cfg.Machine().Security().AcceptedCAs(),
		token:       cfg.Machine().Security().Token(),
		k8sVersion:  imageTag(cfg.Machine().Kubelet().Image()),
	}
	if c := cfg.Cluster(); c != nil {
		sum := sha256.Sum256([]byte(c.ID() + "\x00" + c.Secret()))
		f.clusterKey = hex.EncodeToString(sum[:8])
		f.clusterName = c.Name()
		f.k8sCA = c.IssuingCA()
		f.etcdCA = c.Etcd().CA()
		if u := c.Endpoint(); u != nil {
			f.endpointURL = u.String()
			f.endpoint = u.Host
			if u.Port() == "" {
				f.endpoint = net.JoinHostPort(u.Hostname(), "443")
			}
		}
	}
	f.addresses = configAddresses(cfg)
	f.gateway = defaultGateway(cfg)
	if r := cfg.NetworkResolverConfig(); r != nil {
		for _, a := range r.Resolvers() {
			f.resolvers = append(f.resolvers, a.String())
		}
	}
	if ts := cfg.NetworkTimeSyncConfig(); ts != nil {
		f.timeServers, f.timeSyncOff = ts.Servers(), ts.Disabled()
	}
	if m := cfg.Machine(); m != nil && m.Install() != nil {
		f.installImage = m.Install().Image()
	}
	if f.installImage == "" {
		// What the installer falls back to when the config names no image.
		f.installImage = "ghcr.io/siderolabs/installer:" + version.Tag
	}
	return f
}

// defaultGateway is the gateway of the config's default route: a
// LinkConfig route without a destination (or to 0.0.0.0/0), else a legacy
// machine.network.interfaces route to 0.0.0.0/0.
func defaultGateway(cfg config.Provider) string {
	for _, l := range cfg.NetworkCommonLinkConfigs() {
		for _, r := range l.Routes() {
			dst, has := r.Destination().Get()
			if gw, ok := r.Gateway().Get(); ok && gw.Is4() && (!has || dst.Bits() == 0) {
				return gw.String()
			}
		}
	}
	if m := cfg.Machine(); m != nil && m.Network() != nil {
		for _, d := range m.Network().Devices() {
			routes := d.Routes()
			for _, v := range d.Vlans() {
				routes = append(routes, v.Routes()...)
			}
			for _, r := range routes {
				if (r.Network() == "" || r.Network() == "0.0.0.0/0") && r.Gateway() != "" {
					return r.Gateway()
				}
			}
		}
	}
	return ""
}

func (f facts) controlPlane() bool { return f.machineType.IsControlPlane() }

// hostnameOf follows Talos's hostname sources by priority: an explicit
// hostname in the config, then the platform's (nocloud metadata, which
// Proxmox fills with the VM name), then the config's auto mode (stable:
// derived from the machine; addr: from its address).
func hostnameOf(cfg config.Provider, ip, vmName string) string {
	h := cfg.NetworkHostnameConfig()
	if h != nil && h.Hostname() != "" {
		short, _, _ := strings.Cut(h.Hostname(), ".")
		return short
	}
	if vmName != "" {
		return vmName
	}
	if h != nil && h.AutoHostname() == nethelpers.AutoHostnameKindStable {
		sum := sha256.Sum256([]byte("machine-id\x00" + ip))
		const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
		b := make([]byte, 6)
		for i := range b {
			b[i] = alphabet[int(sum[i])%len(alphabet)]
		}
		return "talos-" + string(b[:3]) + "-" + string(b[3:])
	}
	return addrHostname(ip)
}

func addrHostname(ip string) string {
	return "talos-" + strings.NewReplacer(".", "-", ":", "-").Replace(ip)
}

func imageTag(image string) string {
	if i := strings.LastIndex(image, ":"); i >= 0 && !strings.Contains(image[i:], "/") {
		return image[i+1:]
	}
	return ""
}

// configAddresses lists the static addresses the config assigns, from the
// legacy machine.network.interfaces and from LinkConfig-style documents.
func configAddresses(cfg config.Provider) []string {
	var out []string
	if m := cfg.Machine(); m != nil && m.Network() != nil {
		for _, d := range m.Network().Devices() {
			for _, a := range d.Addresses() {
				if p, err := netip.ParsePrefix(a); err == nil {
					out = append(out, p.Addr().String())
				} else if ad, err := netip.ParseAddr(a); err == nil {
					out = append(out, ad.String())
				}
			}
		}
	}
	for _, l := range cfg.NetworkCommonLinkConfigs() {
		for _, a := range l.Addresses() {
			out = append(out, a.Address().Addr().String())
		}
	}
	return out
}
