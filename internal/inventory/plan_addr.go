package inventory

import (
	"fmt"
	"net/netip"
)

// The shape of the VM address and ID plan. Each AZ's workers get their own
// block of addresses and their own thousand of VM IDs, so that a worker's
// identity depends only on its AZ and its index in it, never on how many
// workers the other AZs have.
const (
	// controlPlaneAddresses is how many addresses at the start of
	// network.nodeRange are kept for control planes (there are 3 or 5).
	controlPlaneAddresses = 5
	// workerVMIDStride separates the AZs' worker VM IDs: worker k of AZ i
	// is vmidBase + workerVMIDStride*(i+1) + k.
	workerVMIDStride = 1000
)

// controlPlaneBlock is the first controlPlaneAddresses of the node range.
func controlPlaneBlock(r Range) Range {
	if r.IsZero() {
		return r
	}
	return Range{r.First, minAddr(addrAt(r.First, controlPlaneAddresses-1), r.Last)}
}

// workerBlock is AZ i's share of the node range after the control planes'
// addresses: the rest split into n equal blocks (a remainder stays unused,
// so that no block depends on another's size). An empty block has Last
// before First.
func workerBlock(r Range, i, n int) Range {
	if r.IsZero() || n == 0 {
		return r
	}
	rest := rangeSize(r) - controlPlaneAddresses
	size := max(rest, 0) / n
	first := addrAt(r.First, controlPlaneAddresses+i*size)
	if size == 0 {
		return Range{first, first.Prev()}
	}
	return Range{first, addrAt(first, size-1)}
}

// rangeSize is how many addresses r holds.
func rangeSize(r Range) int {
	if r.IsZero() || r.Last.Less(r.First) {
		return 0
	}
	return int(u32(r.Last)-u32(r.First)) + 1
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func minAddr(a, b netip.Addr) netip.Addr {
	if b.Less(a) {
		return b
	}
	return a
}

// allocator hands out addresses from a range in order, skipping used ones.
type allocator struct {
	r        Range
	used     map[netip.Addr]bool
	cur      netip.Addr
	reported bool
}

// next returns the next free address, or reports full (once) at path when
// the range has none left. An unset range gives the zero address without a
// report: validation names it.
func (a *allocator) next(f *findings, path, full string) netip.Addr {
	if a.r.IsZero() {
		return netip.Addr{}
	}
	if !a.cur.IsValid() {
		a.cur = a.r.First
	}
	for ; a.r.Contains(a.cur); a.cur = a.cur.Next() {
		if !a.used[a.cur] {
			addr := a.cur
			a.used[addr] = true
			a.cur = a.cur.Next()
			return addr
		}
	}
	if !a.reported {
		a.reported = true
		f.errorf(path, "%s", full)
	}
	return netip.Addr{}
}

// reservedAddresses are the addresses the allocators must skip: every
// explicit address, the gateway and the VIP.
func reservedAddresses(c *Cluster) map[netip.Addr]bool {
	used := map[netip.Addr]bool{}
	add := func(a netip.Addr) {
		if a.IsValid() {
			used[a] = true
		}
	}
	add(c.Network.Gateway)
	add(c.Talos.VIP)
	for _, a := range c.ControlPlane.Addresses {
		add(a)
	}
	for _, az := range c.AZs {
		for _, a := range az.Workers.Addresses {
			add(a)
		}
		for _, h := range az.Hosts {
			add(h.PrivateAddress)
		}
	}
	return used
}

// blockString prints a block with its size ("10.20.0.55-10.20.0.120, 66
// addresses").
func blockString(r Range) string {
	n := rangeSize(r)
	if n == 0 {
		return "(empty)"
	}
	return fmt.Sprintf("%s, %d addresses", r, n)
}
