package stage

import (
	"fmt"
	"strings"

	"github.com/tripod-dev/tripod/internal/run"
)

// exposureFacts are what the harden steps observed: each host's sshd (by
// a new connection) and the datacenter firewall.
type exposureFacts struct {
	sshd     map[string]bool // host -> password login offered
	observed bool            // the datacenter firewall was read
	enabled  bool            // enable=1, policy_in=DROP
	rules    bool            // tripod's rules are in place
}

func (f *facts) setSSHD(host string, passwordOffered bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.exposure.sshd == nil {
		f.exposure.sshd = map[string]bool{}
	}
	f.exposure.sshd[host] = passwordOffered
}

func (f *facts) setFirewall(enabled, rules bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exposure.observed, f.exposure.enabled, f.exposure.rules = true, enabled, rules
}

// HostExposure is one host's exposure to the internet as a run observed it.
type HostExposure struct {
	Host string `json:"host"`
	// SSH is "keys only", "password login on" or "not observed".
	SSH string `json:"ssh"`
	// Public lists what the internet reaches, as tripod's firewall rules say.
	Public string `json:"public"`
}

// ExposureOf is the exposure the harden stage observed in a run, per host
// in layout order, for status; false when it observed nothing.
func ExposureOf(f *run.Facts, e *Env) ([]HostExposure, bool) {
	t := tableOf(f)
	t.mu.Lock()
	x := t.exposure
	t.mu.Unlock()
	if x.sshd == nil && !x.observed {
		return nil, false
	}
	from := "from anywhere"
	api := "8006 only through SSH"
	if srcs := e.Cluster().Access.AllowedSources; len(srcs) > 0 {
		from = "from " + strings.Join(srcs, ", ")
		api = "8006 " + from
	}
	public := "not observed"
	switch {
	case !x.observed:
	case x.enabled && x.rules:
		public = fmt.Sprintf("SSH %s, %s; corosync, Ceph, migration on the VLAN only", from, api)
	case x.enabled:
		public = "firewall on, but tripod's rules are not in place"
	default:
		public = "firewall off: every listening port (22, 111, 3128, 8006) is public"
	}
	var out []HostExposure
	for _, h := range e.Layout().Hosts {
		ssh := "not observed"
		if offered, ok := x.sshd[h.Name]; ok {
			ssh = "keys only"
			if offered {
				ssh = "password login on"
			}
		}
		out = append(out, HostExposure{Host: h.Name, SSH: ssh, Public: public})
	}
	return out, true
}
