package simcore

// Spot is a place in the simulated network, as a reachability question
// names it. The zero value, Outside, is outside every placement: the
// operator's machine, the Scaleway API, the internet.
type Spot struct {
	Placement string // datacenter or zone ("DC3", "fr-par-2"); "" for none
	Side      Side   // SidePrivate for a place on the VLAN; "" or SidePublic for one on the internet
	Host      string // a simulated host (Proxmox node name): its leg on the VLAN decides what it reaches
	Address   string // for a target on the VLAN: the address (or name) dialled, whose subnet a host's leg must hold
}

// The places most questions start from.
var (
	// Outside is the operator, or a service outside every placement: what it
	// reaches on the VLAN depends on the operator's position.
	Outside = Spot{}
	// OnVLAN is anywhere on the private network (a VM, a peer of a VM).
	OnVLAN = Spot{Side: SidePrivate}
)

// At is the place of something in a datacenter or zone, on the internet
// side (a host's public address, a server Scaleway delivers).
func At(placement string) Spot { return Spot{Placement: placement} }

// Verdict is the network's answer to "can from reach to?".
type Verdict int

// The verdicts.
const (
	ReachOK      Verdict = iota
	ReachSilent          // a placement fault holds it: a connection opens and nothing ever answers
	ReachNoRoute         // to is on the VLAN and from has no way onto it
)

// HostLinks reports whether the simulated host has its leg on the private
// network that holds target (an IP, or a name the VLAN's DNS answers).
// sim/proxmox answers it from the host's interfaces and the server's
// attachment to the private network.
type HostLinks func(host, target string) bool

// SetHostLinks installs the answer to what a simulated host reaches on the
// VLAN (nil: every host reaches it).
func (e *Env) SetHostLinks(f HostLinks) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.links = f
}

// Reach is the simulated network's one reachability question: the dial
// path (every listener, Listen's choice of socket) and the request paths
// (a Proxmox peer online, a Talos backend, a datacenter's stock) all ask
// it. The placement faults of the catalogue answer first (a dark target is
// silent), then the two sides: a target on the VLAN is reached from the
// VLAN itself, from a host whose leg is on it, and by the operator only
// from the private position.
func (e *Env) Reach(from, to Spot) Verdict {
	if e.Faults.cuts(from, to) {
		return ReachSilent
	}
	if to.Side == SidePrivate && !e.onVLAN(from, to) {
		return ReachNoRoute
	}
	return ReachOK
}

// Reachable is Reach == ReachOK.
func (e *Env) Reachable(from, to Spot) bool { return e.Reach(from, to) == ReachOK }

// onVLAN reports whether from has a way onto the private network to is on.
func (e *Env) onVLAN(from, to Spot) bool {
	switch {
	case from.Host != "":
		e.mu.Lock()
		links := e.links
		e.mu.Unlock()
		return links == nil || links(from.Host, to.Address)
	case from.Side == SidePrivate:
		return true
	}
	return e.OperatorPosition() == OperatorPrivate
}
