package scaleway

import (
	"net/netip"
)

// Private network subnets. What is recorded (terraform cassettes, 2023 and
// 2025): a network created without subnets gets 172.16.0.0/22 and an IPv6
// /64; one created with an IPv4 subnet still gets an IPv6 /64; every /64 of a
// VPC shares one ULA /48. The validation rules below (RFC 1918, /20 to /28,
// no overlap inside the VPC, IPv6 /64s in fd00::/8) follow Scaleway's VPC
// documentation and are not recorded (inferred).

var (
	rfc1918 = []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
	}
	ulaRange    = netip.MustParsePrefix("fd00::/8")
	autoV4Range = netip.MustParsePrefix("172.16.0.0/12")
)

// vpcSubnets lists every subnet in use by the private networks of vpc.
func (s *Sim) vpcSubnets(vpcID string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s.w.Networks {
		if p.VPCID != vpcID {
			continue
		}
		for _, sn := range p.Subnets {
			if pf, err := netip.ParsePrefix(sn.CIDR); err == nil {
				out = append(out, pf)
			}
		}
	}
	return out
}

// pnSubnets validates the asked subnets and completes them: an IPv4 /22 and
// an IPv6 /64 are drawn for a family the client left out.
func (s *Sim) pnSubnets(v *vpcNet, asked []string) ([]pnSubnet, error) {
	used := s.vpcSubnets(v.ID)
	var v4, v6 []netip.Prefix
	for _, a := range asked {
		pf, err := checkSubnet(a, used)
		if err != nil {
			return nil, err
		}
		used = append(used, pf)
		if pf.Addr().Is4() {
			v4 = append(v4, pf)
		} else {
			v6 = append(v6, pf)
		}
	}
	if len(v4) > 1 {
		return nil, invalidArg("subnets", "constraint", "a private network has at most one IPv4 subnet")
	}
	if len(v4) == 0 {
		pf, ok := freeV4(used)
		if !ok {
			return nil, invalidArg("subnets", "constraint", "no free /22 is left in 172.16.0.0/12 for this VPC")
		}
		v4, used = append(v4, pf), append(used, pf)
	}
	if len(v6) == 0 {
		v6 = append(v6, s.freeV6(v, used))
	}
	var out []pnSubnet
	for _, pf := range append(v4, v6...) {
		out = append(out, pnSubnet{ID: s.newUUID(), CIDR: pf.String()})
	}
	return out, nil
}

// checkSubnet parses one asked subnet and checks it against the rules.
func checkSubnet(a string, used []netip.Prefix) (netip.Prefix, error) {
	pf, err := netip.ParsePrefix(a)
	if err != nil || pf != pf.Masked() {
		return pf, invalidArg("subnets", "constraint", a+" is not a network address in CIDR notation")
	}
	if pf.Addr().Is4() {
		private := false
		for _, r := range rfc1918 {
			private = private || (r.Contains(pf.Addr()) && pf.Bits() >= r.Bits())
		}
		if !private || pf.Bits() < 20 || pf.Bits() > 28 {
			return pf, invalidArg("subnets", "constraint", a+" must be an RFC 1918 subnet from /20 to /28")
		}
	} else if !ulaRange.Contains(pf.Addr()) || pf.Bits() != 64 {
		return pf, invalidArg("subnets", "constraint", a+" must be a /64 in fd00::/8")
	}
	for _, u := range used {
		if u.Overlaps(pf) {
			return pf, invalidArg("subnets", "constraint", a+" overlaps "+u.String()+", already used in this VPC")
		}
	}
	return pf, nil
}

// freeV4 is the first /22 of 172.16.0.0/12 that no subnet of the VPC
// overlaps, as the recorded 172.16.0.0/22 default suggests.
func freeV4(used []netip.Prefix) (netip.Prefix, bool) {
	a := autoV4Range.Addr().As4()
	for i := 0; i < 1<<(22-12); i++ {
		a[1], a[2] = 16+byte(i>>6), byte(i&63)<<2
		pf := netip.PrefixFrom(netip.AddrFrom4(a), 22)
		if !overlapsAny(pf, used) {
			return pf, true
		}
	}
	return netip.Prefix{}, false
}

// freeV6 draws a /64 of the VPC's /48 from the seed, then the next free one.
func (s *Sim) freeV6(v *vpcNet, used []netip.Prefix) netip.Prefix {
	base := netip.MustParsePrefix(v.ULA).Addr().As16()
	h := seededBytes(s.env.Seed, "pn-ula/"+v.ID+"/"+itoa(len(used)), 2)
	n := uint16(h[0])<<8 | uint16(h[1])
	for {
		base[6], base[7] = byte(n>>8), byte(n)
		pf := netip.PrefixFrom(netip.AddrFrom16(base), 64)
		if !overlapsAny(pf, used) {
			return pf
		}
		n++
	}
}

// newULA draws a VPC's /48 in fd00::/8 from the seed.
func (s *Sim) newULA(vpcID string) string {
	var a [16]byte
	a[0] = 0xfd
	copy(a[1:6], seededBytes(s.env.Seed, "vpc-ula/"+vpcID, 5))
	return netip.PrefixFrom(netip.AddrFrom16(a), 48).String()
}

func overlapsAny(pf netip.Prefix, used []netip.Prefix) bool {
	for _, u := range used {
		if u.Overlaps(pf) {
			return true
		}
	}
	return false
}
