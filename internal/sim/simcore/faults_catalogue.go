package simcore

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
)

// FaultKind names one per-request fault: what the fault model decided for
// one request.
type FaultKind int

// The per-request faults, one per rate row of the catalogue.
const (
	FaultNone        FaultKind = iota
	Fault5xx                   // HTTP 503 in the API's own error shape
	Fault429                   // HTTP 429 with Retry-After
	Fault429Bare               // HTTP 429 without Retry-After
	FaultUnavailable           // gRPC Unavailable
	FaultHang                  // no answer until the client gives up (or HangFor passes)
	FaultLost                  // served, but the answer is lost: the client sees a hang
)

// Move is what a fault does to one request on one transport. Each transport
// carries out each move in one place (Router.ServeHTTP, Env.grpcFault, the
// SSH server in sim/proxmox), so a fault made of known moves is one row of
// the catalogue and nothing else.
type Move int

// The moves. MovePass, the zero value, means the fault is never drawn on
// that transport.
const (
	MovePass   Move = iota // not drawn here: the request is served as usual
	MoveRefuse             // answered with an error before the handler runs: nothing changed
	MoveHang               // no answer and no handler, until the client gives up or HangFor passes
	MoveLose               // the handler runs, then its answer is lost: a hang the client cannot tell apart
)

// HTTPMove is a fault's behaviour on an HTTP request (Router).
type HTTPMove struct {
	Move       Move
	Status     int    // for MoveRefuse: the status, written in the API's own error shape
	Message    string // for MoveRefuse
	RetryAfter bool   // for MoveRefuse: send Retry-After (Fault.RetryAfter, time-scaled)
}

// GRPCMove is a fault's behaviour on a gRPC call (Env.UnaryInterceptor and
// Env.StreamInterceptor).
type GRPCMove struct {
	Move    Move
	Code    codes.Code // for MoveRefuse
	Message string     // for MoveRefuse
}

// FaultRow is one kind of fault: how a --faults clause spells it, what it
// does, and, for a per-request fault (Kind set), what it does on each
// transport. A fault that is not per-request parses its own value; a
// placement fault also answers Env.Reach through cuts.
type FaultRow struct {
	Name   string    // the clause's key: "5xx", "dark"
	Usage  string    // the clause as the grammar spells it: "[API.]5xx=P"
	Effect string    // what it does, for the grammar's help and the docs
	Kind   FaultKind // a per-request fault drawn with probability P; FaultNone for the others
	HTTP   HTTPMove  // on an HTTP request
	GRPC   GRPCMove  // on a gRPC call
	// SSH is the move on the simulated hosts' sshd: MoveRefuse refuses a
	// channel open (session, direct-tcpip) as a busy sshd does; MoveHang and
	// MoveLose act on an exec, which then sends no exit status.
	SSH Move

	// parse reads the value of a clause that is not a per-request rate.
	parse func(s *FaultSpec, key, val string) error
	// cuts, for a placement fault, reports whether the fault keeps from
	// from reaching to. It is asked only through Env.Reach.
	cuts func(s *FaultSpec, from, to Spot) bool
}

// catalogue holds every fault, in the order the grammar lists them. The
// order of the per-request rows is also the order a draw goes through them
// (Faults.DecideOn): changing it changes every seeded timeline.
var catalogue = []FaultRow{
	{Name: "5xx", Usage: "[API.]5xx=P", Effect: "HTTP 503 in the API's own error shape, with probability P (0..1)", Kind: Fault5xx,
		HTTP: HTTPMove{Move: MoveRefuse, Status: http.StatusServiceUnavailable, Message: "service temporarily unavailable (simulated fault)"},
		SSH:  MoveRefuse},
	{Name: "429", Usage: "[API.]429=P", Effect: "HTTP 429 with a Retry-After header", Kind: Fault429,
		HTTP: HTTPMove{Move: MoveRefuse, Status: http.StatusTooManyRequests, Message: "too many requests (simulated fault)", RetryAfter: true},
		SSH:  MoveRefuse},
	{Name: "429-bare", Usage: "[API.]429-bare=P", Effect: "HTTP 429 without Retry-After", Kind: Fault429Bare,
		HTTP: HTTPMove{Move: MoveRefuse, Status: http.StatusTooManyRequests, Message: "too many requests (simulated fault)"},
		SSH:  MoveRefuse},
	{Name: "unavailable", Usage: "[API.]unavailable=P", Effect: "gRPC Unavailable (talos)", Kind: FaultUnavailable,
		GRPC: GRPCMove{Move: MoveRefuse, Code: codes.Unavailable, Message: "connection error: simulated fault"}},
	{Name: "hang", Usage: "[API.]hang=P", Effect: "the request gets no answer for hang-for", Kind: FaultHang,
		HTTP: HTTPMove{Move: MoveHang}, GRPC: GRPCMove{Move: MoveHang}, SSH: MoveHang},
	{Name: "lost", Usage: "[API.]lost=P", Effect: "the request is served, but its answer is lost (a hang): a create that happened although the client never heard", Kind: FaultLost,
		HTTP: HTTPMove{Move: MoveLose}, GRPC: GRPCMove{Move: MoveLose}, SSH: MoveLose},
	{Name: "hang-for", Usage: "hang-for=DURATION", Effect: "how long a hang lasts (default 10m: longer than any sane per-attempt timeout)",
		parse: parseHangFor},
	{Name: "install-fail", Usage: "install-fail=NAME", Effect: "the next OS install of the server named NAME (hostname or ID) fails, once",
		parse: parseOneShot},
	{Name: "vm-start-fail", Usage: "vm-start-fail=NAME", Effect: "the next start of the VM named NAME fails, once",
		parse: parseOneShot},
	{Name: "dark", Usage: "dark=PLACEMENT", Effect: "every endpoint in datacenter or zone PLACEMENT (DC3, fr-par-2) stops answering",
		parse: parseDark, cuts: darkCuts},
	{Name: "noegress", Usage: "noegress=HOST", Effect: "the uplink of host HOST (its Proxmox node name) drops the traffic it forwards for the VMs, while the host itself still reaches the internet",
		parse: parseNoEgress},
	{Name: "rtt", Usage: "rtt=A-B:DURATION", Effect: "ping between placements A and B reports DURATION (e.g. rtt=DC2-DC5:12ms)",
		parse: parseRTT},
}

// FaultCatalogue returns every fault the --faults grammar knows, in the
// grammar's order, for whatever lists them (help, docs, their test). It is a
// copy: the catalogue itself cannot be changed.
func FaultCatalogue() []FaultRow { return append([]FaultRow(nil), catalogue...) }

// faultNamed returns the row whose clause key is name, nil if none.
func faultNamed(name string) *FaultRow {
	for i := range catalogue {
		if catalogue[i].Name == name {
			return &catalogue[i]
		}
	}
	return nil
}

// faultOfKind returns the row of a per-request kind, nil for FaultNone.
func faultOfKind(k FaultKind) *FaultRow {
	for i := range catalogue {
		if k != FaultNone && catalogue[i].Kind == k {
			return &catalogue[i]
		}
	}
	return nil
}

// MarshalText spells a kind as the grammar does ("5xx"), so a FaultSpec's
// rates read in JSON (GET /faults) as they were written.
func (k FaultKind) MarshalText() ([]byte, error) {
	if r := faultOfKind(k); r != nil {
		return []byte(r.Name), nil
	}
	return nil, fmt.Errorf("fault kind %d is not a per-request fault", int(k))
}

// UnmarshalText reads a kind spelled as the grammar does.
func (k *FaultKind) UnmarshalText(b []byte) error {
	if r := faultNamed(string(b)); r != nil && r.Kind != FaultNone {
		*k = r.Kind
		return nil
	}
	return fmt.Errorf("unknown fault %q", b)
}

// String is the grammar's name of the kind ("none" for FaultNone).
func (k FaultKind) String() string {
	if r := faultOfKind(k); r != nil {
		return r.Name
	}
	return "none"
}

// Transport is how a request reaches a simulated service, which decides
// the faults it can meet.
type Transport int

// The transports.
const (
	TransportHTTP Transport = iota
	TransportGRPC
	TransportSSH
)

// on is the row's move on transport t.
func (r *FaultRow) on(t Transport) Move {
	switch t {
	case TransportHTTP:
		return r.HTTP.Move
	case TransportGRPC:
		return r.GRPC.Move
	case TransportSSH:
		return r.SSH
	}
	return MovePass
}

// The parsers of the rows that are not per-request rates.

func parseHangFor(s *FaultSpec, _, val string) error {
	d, err := time.ParseDuration(val)
	if err != nil || d <= 0 {
		return fmt.Errorf("want a positive duration like 30s")
	}
	s.HangFor = d
	return nil
}

// parseOneShot arms the one-shot fault key for NAME; the API model that
// gives it meaning consumes it with Faults.TakeOneShot(key, names...).
func parseOneShot(s *FaultSpec, key, val string) error {
	if val == "" {
		return fmt.Errorf("want a name")
	}
	s.OneShots[key+":"+val] = true
	return nil
}

func parseDark(s *FaultSpec, _, val string) error {
	if val == "" {
		return fmt.Errorf("want a datacenter or zone")
	}
	s.Dark[strings.ToLower(val)] = true
	return nil
}

// darkCuts: nothing reaches a dark placement; a place with no placement
// (the Scaleway API, a name with no datacenter) is never dark.
func darkCuts(s *FaultSpec, _, to Spot) bool {
	return to.Placement != "" && s.Dark[strings.ToLower(to.Placement)]
}

func parseNoEgress(s *FaultSpec, _, val string) error {
	if val == "" {
		return fmt.Errorf("want a host name")
	}
	s.NoEgress[strings.ToLower(val)] = true
	return nil
}

func parseRTT(s *FaultSpec, _, val string) error {
	pair, dur, ok := strings.Cut(val, ":")
	a, b, ok2 := strings.Cut(pair, "-")
	d, err := time.ParseDuration(dur)
	if !ok || !ok2 || err != nil || a == "" || b == "" {
		return fmt.Errorf("want rtt=A-B:DURATION, e.g. rtt=DC2-DC5:12ms")
	}
	s.RTT[rttKey(a, b)] = d
	return nil
}
