package simcore

import (
	"net/netip"
	"strings"
)

// The simulated internet, as a VM that gets out sees it: the public
// resolvers it can ask, the names they answer, and which of those names
// serve NTP. Nothing listens at these addresses: a VM's traffic to them is
// decided by Env.Egress, never dialled.

// PublicResolvers are the public DNS resolvers the simulated internet has:
// Scaleway's two (tripod's default network.dns), Cloudflare, Google, Quad9.
var PublicResolvers = []string{"51.159.47.28", "51.159.47.26", "1.1.1.1", "8.8.8.8", "9.9.9.9"}

// TalosDefaultResolvers are the resolvers a Talos node uses when neither its
// config nor its platform names any (constants.DefaultPrimaryResolver and
// DefaultSecondaryResolver).
var TalosDefaultResolvers = []string{"1.1.1.1", "8.8.8.8"}

// TalosDefaultTimeServer is the time server a Talos node syncs with when its
// config names none (constants.DefaultNTPServer).
const TalosDefaultTimeServer = "time.cloudflare.com"

// publicNames is the simulated internet's DNS: one address per name, and
// whether it answers NTP.
var publicNames = map[string]struct {
	addr string
	ntp  bool
}{
	"factory.talos.dev":    {"104.16.0.1", false},
	"ghcr.io":              {"140.82.121.33", false},
	"registry.k8s.io":      {"34.96.108.209", false},
	"registry-1.docker.io": {"54.236.113.205", false},
	"docker.io":            {"54.236.113.205", false},
	"gcr.io":               {"142.250.179.212", false},
	"quay.io":              {"3.216.152.103", false},
	"time.cloudflare.com":  {"162.159.200.1", true},
	"time.google.com":      {"216.239.35.0", true},
	"pool.ntp.org":         {"162.159.200.123", true},
	"0.pool.ntp.org":       {"162.159.200.123", true},
	"1.pool.ntp.org":       {"51.15.175.180", true},
	"2.pool.ntp.org":       {"212.83.158.83", true},
	"3.pool.ntp.org":       {"51.158.147.92", true},
	"ntp.ubuntu.com":       {"185.125.190.58", true},
}

// LookupPublic is the simulated internet's DNS answer for name: its address,
// or false for a name it does not know (NXDOMAIN).
func LookupPublic(name string) (netip.Addr, bool) {
	p, ok := publicNames[strings.TrimSuffix(strings.ToLower(name), ".")]
	if !ok {
		return netip.Addr{}, false
	}
	return netip.MustParseAddr(p.addr), true
}

// IsPublicResolver reports whether addr is one of PublicResolvers.
func IsPublicResolver(addr string) bool {
	for _, r := range PublicResolvers {
		if r == addr {
			return true
		}
	}
	return false
}

// servesNTP reports whether the public address answers NTP.
func servesNTP(a netip.Addr) bool {
	for _, p := range publicNames {
		if p.ntp && p.addr == a.String() {
			return true
		}
	}
	return false
}

// RegistryHost is the registry an image reference pulls from
// ("factory.talos.dev/installer/ID:v1.9.5" -> "factory.talos.dev"; a
// reference without a registry is Docker Hub's).
func RegistryHost(image string) string {
	first, _, ok := strings.Cut(image, "/")
	if !ok || (!strings.ContainsAny(first, ".:") && first != "localhost") {
		return "registry-1.docker.io"
	}
	host, _, _ := strings.Cut(first, ":")
	return host
}
