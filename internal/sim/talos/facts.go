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
		if u := c.Endpoint(); u != nil {
			f.endpointURL = u.String()
			f.endpoint = u.Host
			if u.Port() == "" {
				f.endpoint = net.JoinHostPort(u.Hostname(), "443")
			}
		}
	}
	f.addresses = configAddresses(cfg)
	return f
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
