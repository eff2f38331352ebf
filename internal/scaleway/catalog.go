package scaleway

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
)

// IsProxmoxVE reports whether an OS image, by the name and version Scaleway
// lists it with ("Proxmox", "VE 8 | Debian 12 (Bookworm)"), is Proxmox VE;
// Proxmox Backup Server has the same name and is not.
func IsProxmoxVE(name, version string) bool {
	return strings.EqualFold(strings.TrimSpace(name), "Proxmox") &&
		strings.HasPrefix(strings.ToUpper(strings.TrimSpace(version)), "VE")
}

var pveVersionRE = regexp.MustCompile(`(?i)^\s*VE\s*(\d+)(?:\.(\d+))?`)

// pveVersion orders Proxmox VE versions: "VE 9.0" > "VE 8.4" > "VE 8 | ...".
func pveVersion(version string) [2]int {
	m := pveVersionRE.FindStringSubmatch(version)
	if m == nil {
		return [2]int{-1, -1}
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	return [2]int{major, minor}
}

func newer(a, b [2]int) bool { return a[0] > b[0] || (a[0] == b[0] && a[1] > b[1]) }

// NewestProxmoxDedibox returns the newest Proxmox VE image among oses, or nil.
func NewestProxmoxDedibox(oses []*dedibox.OS) *dedibox.OS {
	var best *dedibox.OS
	for _, os := range oses {
		if os != nil && IsProxmoxVE(os.Name, os.Version) && (best == nil || newer(pveVersion(os.Version), pveVersion(best.Version))) {
			best = os
		}
	}
	return best
}

// NewestProxmoxMetal returns the newest enabled Proxmox VE image among oses
// that the offer does not list as incompatible, or nil.
func NewestProxmoxMetal(oses []*baremetal.OS, incompatible []string) *baremetal.OS {
	var best *baremetal.OS
	for _, os := range oses {
		if os == nil || !os.Enabled || !IsProxmoxVE(os.Name, os.Version) || slices.Contains(incompatible, os.ID) {
			continue
		}
		if best == nil || newer(pveVersion(os.Version), pveVersion(best.Version)) {
			best = os
		}
	}
	return best
}

// DediboxPublicIPv4 is the server's public IPv4 address, or "".
func DediboxPublicIPv4(s *dedibox.Server) string {
	if s == nil {
		return ""
	}
	for _, nic := range s.Interfaces {
		if nic == nil {
			continue
		}
		for _, ip := range nic.IPs {
			if ip != nil && ip.Version == dedibox.IPVersionIPv4 && ip.Semantic == dedibox.IPSemanticPublic && ip.Address != nil {
				return ip.Address.String()
			}
		}
	}
	return ""
}

// MetalPublicIPv4 is the server's public IPv4 address, or "".
func MetalPublicIPv4(s *baremetal.Server) string {
	if s == nil {
		return ""
	}
	for _, ip := range s.IPs {
		if ip != nil && ip.Version == baremetal.IPVersionIPv4 && ip.Address != nil {
			return ip.Address.String()
		}
	}
	return ""
}
