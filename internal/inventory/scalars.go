package inventory

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Provider is the Scaleway bare-metal product a host comes from.
type Provider string

// The providers.
const (
	Dedibox      Provider = "dedibox"
	ElasticMetal Provider = "elastic-metal"
)

// Providers lists the valid providers.
var Providers = []string{string(Dedibox), string(ElasticMetal)}

// UnmarshalText rejects unknown providers at decode time.
func (p *Provider) UnmarshalText(b []byte) error {
	return decodeEnum(b, (*string)(p), Providers, "provider")
}

// AccessVia is how tripod reaches the private network.
type AccessVia string

// The ways to reach the private network.
const (
	ViaSSH    AccessVia = "ssh"
	ViaDirect AccessVia = "direct"
)

// AccessVias lists the valid values of access.via.
var AccessVias = []string{string(ViaSSH), string(ViaDirect)}

// UnmarshalText rejects unknown values at decode time, saying what each
// valid one means.
func (v *AccessVia) UnmarshalText(b []byte) error {
	for _, ok := range AccessVias {
		if string(b) == ok {
			*v = AccessVia(b)
			return nil
		}
	}
	return fmt.Errorf("unknown access route %q: use ssh (tripod reaches private addresses through the hosts' SSH) or direct (tripod runs on the private network)", string(b))
}

// Role is one thing a host does.
type Role string

// The host roles.
const (
	RoleCompute Role = "compute"
	RoleCephOSD Role = "ceph-osd"
	RoleCephMon Role = "ceph-mon"
)

// Roles lists the valid roles.
var Roles = []string{string(RoleCompute), string(RoleCephOSD), string(RoleCephMon)}

// UnmarshalText rejects unknown roles at decode time.
func (r *Role) UnmarshalText(b []byte) error { return decodeEnum(b, (*string)(r), Roles, "role") }

// FailureDomain is the CRUSH bucket type replicas are spread over.
type FailureDomain string

// The failure domains.
const (
	FailureDatacenter FailureDomain = "datacenter"
	FailureHost       FailureDomain = "host"
)

// FailureDomains lists the valid failure domains.
var FailureDomains = []string{string(FailureDatacenter), string(FailureHost)}

// UnmarshalText rejects unknown failure domains at decode time.
func (f *FailureDomain) UnmarshalText(b []byte) error {
	return decodeEnum(b, (*string)(f), FailureDomains, "failure domain")
}

// PatchTarget limits a patch to one machine type.
type PatchTarget string

// The patch targets.
const (
	TargetAll          PatchTarget = "all"
	TargetControlPlane PatchTarget = "controlplane"
	TargetWorker       PatchTarget = "worker"
)

// PatchTargets lists the valid patch targets.
var PatchTargets = []string{string(TargetAll), string(TargetControlPlane), string(TargetWorker)}

// UnmarshalText rejects unknown targets at decode time.
func (t *PatchTarget) UnmarshalText(b []byte) error {
	return decodeEnum(b, (*string)(t), PatchTargets, "patch target")
}

func decodeEnum(b []byte, dst *string, valid []string, what string) error {
	s := string(b)
	for _, v := range valid {
		if s == v {
			*dst = s
			return nil
		}
	}
	return fmt.Errorf("unknown %s %q (want one of: %s)", what, s, strings.Join(valid, ", "))
}

// Size is a quantity of bytes written with a unit: 8GiB, 512MiB, 2TB.
type Size int64

var sizeUnits = []struct {
	suffix string
	mult   float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
}

// ParseSize parses a size with a unit. A bare number is refused: "8" could
// mean bytes, MiB or GiB depending on who reads it.
func ParseSize(s string) (Size, error) {
	s = strings.TrimSpace(s)
	for _, u := range sizeUnits {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f*u.mult > math.MaxInt64/2 {
				return 0, fmt.Errorf("invalid size %q (want a number and a unit, e.g. 8GiB)", s)
			}
			return Size(f * u.mult), nil
		}
	}
	return 0, fmt.Errorf("invalid size %q (want a number and a unit such as MiB, GiB, TiB, e.g. 8GiB)", s)
}

// UnmarshalText parses a size.
func (z *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*z = v
	return nil
}

// MarshalText writes the size in the largest binary unit that divides it.
func (z Size) MarshalText() ([]byte, error) { return []byte(z.String()), nil }

// String renders the size with a binary unit.
func (z Size) String() string {
	for _, u := range []struct {
		s string
		m int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if z != 0 && int64(z)%u.m == 0 {
			return strconv.FormatInt(int64(z)/u.m, 10) + u.s
		}
	}
	return strconv.FormatInt(int64(z), 10) + "B"
}

// MiB is the size in mebibytes, rounded down (Proxmox's memory unit).
func (z Size) MiB() int64 { return int64(z) >> 20 }

// GiB is the size in gibibytes, rounded up (Proxmox's disk unit).
func (z Size) GiB() int64 { return (int64(z) + (1 << 30) - 1) >> 30 }

// Range is an inclusive range of IPv4 addresses written FIRST-LAST.
type Range struct {
	First, Last netip.Addr
}

// IsZero reports whether the range is unset.
func (r Range) IsZero() bool { return !r.First.IsValid() }

// UnmarshalText parses FIRST-LAST.
func (r *Range) UnmarshalText(b []byte) error {
	a, z, ok := strings.Cut(string(b), "-")
	first, err1 := netip.ParseAddr(strings.TrimSpace(a))
	last, err2 := netip.ParseAddr(strings.TrimSpace(z))
	if !ok || err1 != nil || err2 != nil || !first.Is4() || !last.Is4() {
		return fmt.Errorf("invalid address range %q (want FIRST-LAST, e.g. 10.20.0.50-10.20.0.99)", string(b))
	}
	if last.Less(first) {
		return fmt.Errorf("invalid address range %q: last address is before the first", string(b))
	}
	r.First, r.Last = first, last
	return nil
}

// MarshalText writes FIRST-LAST.
func (r Range) MarshalText() ([]byte, error) {
	if r.IsZero() {
		return nil, nil
	}
	return []byte(r.First.String() + "-" + r.Last.String()), nil
}

// String is FIRST-LAST.
func (r Range) String() string { b, _ := r.MarshalText(); return string(b) }

// Contains reports whether a is in the range.
func (r Range) Contains(a netip.Addr) bool {
	return !r.IsZero() && !a.Less(r.First) && !r.Last.Less(a)
}

// RawYAML keeps a YAML subtree as text (an inline patch), to be parsed by
// whoever understands it.
type RawYAML struct {
	Text string
}

// IsZero reports whether nothing was given.
func (r RawYAML) IsZero() bool { return r.Text == "" }

func rawFromNode(n *yaml.Node) (RawYAML, error) {
	b, err := yaml.Marshal(n)
	if err != nil {
		return RawYAML{}, err
	}
	return RawYAML{Text: string(b)}, nil
}
