package simcore

import "testing"

// TestCatalogueRowsAreWhole checks what the catalogue's consumers rely on:
// one row per name, a per-request row has a move on some transport and a
// rate parser, every other row parses its own value.
func TestCatalogueRowsAreWhole(t *testing.T) {
	seen := map[string]bool{}
	kinds := map[FaultKind]bool{}
	for _, r := range FaultCatalogue() {
		if r.Name == "" || r.Usage == "" || r.Effect == "" || seen[r.Name] {
			t.Errorf("row %+v: want a unique name, a usage and an effect", r)
		}
		seen[r.Name] = true
		switch {
		case r.Kind != FaultNone:
			if kinds[r.Kind] || r.parse != nil || r.HTTP.Move == MovePass && r.GRPC.Move == MovePass && r.SSH == MovePass {
				t.Errorf("rate row %s: want its own kind, no parser of its own and a move on some transport", r.Name)
			}
			kinds[r.Kind] = true
			if _, err := ParseFaults(r.Name + "=0.5"); err != nil {
				t.Errorf("rate row %s does not parse: %v", r.Name, err)
			}
			if b, err := r.Kind.MarshalText(); err != nil || string(b) != r.Name {
				t.Errorf("kind of %s spells %q, %v", r.Name, b, err)
			}
		case r.parse == nil:
			t.Errorf("row %s: neither a rate nor a parser", r.Name)
		}
	}
}

// TestReachAnswersFaultsAndSides is the one reachability question: a dark
// placement is silent whoever asks, the VLAN is reached from itself, from a
// host whose leg is on it, and by the operator only from the private side.
func TestReachAnswersFaultsAndSides(t *testing.T) {
	e := NewEnv(Instant, 0, 1)
	vm := Spot{Placement: "DC3", Side: SidePrivate, Address: "10.0.0.5"}
	if got := e.Reach(Outside, vm); got != ReachOK {
		t.Errorf("operator (private) to a VM: %v", got)
	}
	e.SetOperator(OperatorPublic)
	if got := e.Reach(Outside, vm); got != ReachNoRoute {
		t.Errorf("operator (public) to a VM: %v, want no route", got)
	}
	if got := e.Reach(OnVLAN, vm); got != ReachOK {
		t.Errorf("VLAN to a VM: %v", got)
	}
	e.SetHostLinks(func(host, target string) bool { return host == "pve1" && target == "10.0.0.5" })
	if got := e.Reach(Spot{Host: "pve2"}, vm); got != ReachNoRoute {
		t.Errorf("host without a leg to a VM: %v, want no route", got)
	}
	if got := e.Reach(Spot{Host: "pve1"}, vm); got != ReachOK {
		t.Errorf("host with its leg to a VM: %v", got)
	}
	e.Faults.SetDark("dc3", true)
	for _, from := range []Spot{Outside, OnVLAN, {Host: "pve1"}} {
		if got := e.Reach(from, vm); got != ReachSilent {
			t.Errorf("%+v to a VM in a dark DC: %v, want silent", from, got)
		}
	}
	if !e.Reachable(Outside, At("DC2")) || e.Reachable(Outside, At("DC3")) || !e.Reachable(Outside, At("")) {
		t.Error("dark DC3 should cut DC3 only, and never a place with no placement")
	}
}
