package scaleway

import "fmt"

// Public addresses come only from documentation and benchmarking ranges,
// never routable ones, in creation order:
//
//	Dedibox        IPv4 198.51.100.0/24, then 198.18.0.0/17, then 198.19.0.0/17
//	Elastic Metal  IPv4 203.0.113.0/24,  then 198.18.128.0/17, then 198.19.128.0/17
//	both           IPv6 one /64 each from 2001:db8::/32 (2001:db8:d00::/40, 2001:db8:e00::/40)
//
// Each /24 keeps .1 as the gateway and hands out .2 to .254.
const hostsPerBlock = 253

// dediboxBlock and emBlock return the first three octets of the i-th /24.
func dediboxBlock(i uint64) [3]byte {
	switch j := i - 1; {
	case i == 0:
		return [3]byte{198, 51, 100}
	case j < 128:
		return [3]byte{198, 18, byte(j)}
	default:
		return [3]byte{198, 19, byte((j - 128) % 128)}
	}
}

func emBlock(i uint64) [3]byte {
	switch j := i - 1; {
	case i == 0:
		return [3]byte{203, 0, 113}
	case j < 128:
		return [3]byte{198, 18, byte(128 + j)}
	default:
		return [3]byte{198, 19, byte(128 + (j-128)%128)}
	}
}

// ipv4 is the n-th address of a pool, with its gateway.
func ipv4(block func(uint64) [3]byte, n uint64) (addr, gateway string) {
	b := block(n / hostsPerBlock)
	return fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], 2+n%hostsPerBlock),
		fmt.Sprintf("%d.%d.%d.1", b[0], b[1], b[2])
}

func (s *Sim) assignDediboxAddresses(d *dServer) {
	n := s.w.Seq.DediboxIP
	s.w.Seq.DediboxIP++
	d.IPv4, _ = ipv4(dediboxBlock, n)
	d.IPv6 = fmt.Sprintf("2001:db8:d00:%x::1", n)
}

func (s *Sim) assignEMAddresses(e *emServer) {
	n := s.w.Seq.EMIP
	s.w.Seq.EMIP++
	e.IPv4, _ = ipv4(emBlock, n)
	e.IPv6 = fmt.Sprintf("2001:db8:e00:%x::1", n)
	e.IPv4ID, e.IPv6ID = s.newUUID(), s.newUUID()
}
