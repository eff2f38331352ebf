package scaleway

import (
	"strconv"
	"time"
)

// worldVersion is bumped when the saved form changes incompatibly.
const worldVersion = 1

// world is everything the simulator holds, and exactly what Save writes.
// Status machines are not stored: they are computed from the start times
// below, so a loaded world resumes on the clock of the process that loads it.
// Slices keep creation order, which is also list order.
type world struct {
	Version  int               `json:"version"`
	Seq      sequences         `json:"seq"`
	Keys     []*sshKey         `json:"ssh_keys"`
	Dedibox  []*dServer        `json:"dedibox_servers"`
	Services []*dService       `json:"dedibox_services"`
	Groups   []*rpnGroup       `json:"rpn_groups"`
	EM       []*emServer       `json:"em_servers"`
	PNs      []*serverPN       `json:"server_private_networks"`
	VPCs     []*vpcNet         `json:"vpcs,omitempty"`
	Networks []*privNet        `json:"private_networks,omitempty"`
	Stock    map[string]string `json:"stock,omitempty"` // stockKey(offer, placement) -> empty|low|available
}

// sequences are the counters every ID and address is drawn from, so creation
// order alone decides them.
type sequences struct {
	UUID       uint64 `json:"uuid"`
	DServer    uint64 `json:"dedibox_server"`
	DService   uint64 `json:"dedibox_service"`
	Group      uint64 `json:"rpn_group"`
	Member     uint64 `json:"rpn_member"`
	DediboxIP  uint64 `json:"dedibox_ip"`
	EMIP       uint64 `json:"em_ip"`
	InstallRun uint64 `json:"install_run"`
}

func newWorld() *world {
	return &world{
		Version: worldVersion,
		Seq:     sequences{DServer: 104400, DService: 9004000, Group: 7700, Member: 31000},
		Stock:   map[string]string{},
	}
}

// epoch is the start time of machines that were finished before the world
// began (preloaded servers): done whatever the profile.
var epoch = time.Unix(0, 0).UTC()

type sshKey struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Line        string    `json:"line"` // as given, comment included
	Fingerprint string    `json:"fingerprint"`
	ProjectID   string    `json:"project_id"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Disabled    bool      `json:"disabled"`
}

// dServer is a Dedibox server. It exists from the order on, but is visible
// only once its service is ready (the order is all the client knows before).
type dServer struct {
	ID          uint64     `json:"id"`
	ServiceID   uint64     `json:"service_id"`
	OfferID     uint64     `json:"offer_id"`
	Datacenter  string     `json:"datacenter"`
	ProjectID   string     `json:"project_id"`
	Hostname    string     `json:"hostname"`
	Tags        []string   `json:"tags"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	DeliverFrom time.Time  `json:"deliver_from"`
	IPv4        string     `json:"ipv4"`
	IPv6        string     `json:"ipv6"`
	OSID        uint64     `json:"os_id,omitempty"` // last completed install
	Install     *dInstall  `json:"install,omitempty"`
	Stopped     bool       `json:"stopped,omitempty"`
	RebootAt    *time.Time `json:"reboot_at,omitempty"`
	DeletedAt   *time.Time `json:"deleted_at,omitempty"`
}

func (d *dServer) key() string { return "dedibox/" + strconv.FormatUint(d.ID, 10) }

type dInstall struct {
	Run          uint64       `json:"run"` // unique per install: the latency key
	OSID         uint64       `json:"os_id"`
	Hostname     string       `json:"hostname"`
	UserLogin    string       `json:"user_login,omitempty"`
	RootPassword string       `json:"root_password,omitempty"`
	UserPassword string       `json:"user_password,omitempty"`
	SSHKeyIDs    []string     `json:"ssh_key_ids"`
	SSHKeys      []string     `json:"ssh_keys"`
	Partitions   []dPartition `json:"partitions"`
	StartedAt    time.Time    `json:"started_at"`
	Fail         bool         `json:"fail,omitempty"`     // the one-shot fault: ends in error
	Notified     bool         `json:"notified,omitempty"` // terminal state handled (hook fired)
}

type dPartition struct {
	FileSystem string   `json:"file_system"`
	MountPoint *string  `json:"mount_point"`
	RaidLevel  string   `json:"raid_level"`
	Capacity   uint64   `json:"capacity"`
	Connectors []string `json:"connectors"`
}

type dService struct {
	ID         uint64     `json:"id"`
	OfferID    uint64     `json:"offer_id"`
	ServerID   uint64     `json:"server_id"`
	ProjectID  string     `json:"project_id"`
	Zone       string     `json:"zone"` // of the datacenter delivered in
	CreatedAt  time.Time  `json:"created_at"`
	ReadyFrom  time.Time  `json:"ready_from"`
	Terminated *time.Time `json:"terminated,omitempty"` // server deletion requested
	Expired    bool       `json:"expired,omitempty"`    // server gone
}

type rpnGroup struct {
	ID        uint64       `json:"id"`
	Name      string       `json:"name"`
	Type      string       `json:"type"`
	ProjectID string       `json:"project_id"`
	CreatedAt time.Time    `json:"created_at"`
	Members   []*rpnMember `json:"members"`
	DeletedAt *time.Time   `json:"deleted_at,omitempty"`
}

type rpnMember struct {
	ID        uint64     `json:"id"`
	ServerID  uint64     `json:"server_id"`
	Vlan      string     `json:"vlan"`
	ChangedAt time.Time  `json:"changed_at"` // creation or last VLAN change
	Change    uint64     `json:"change"`     // latency key of that change
	Changing  string     `json:"changing"`   // its transient status: creating or updating
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
}

// emServer is an Elastic Metal server.
type emServer struct {
	ID          string     `json:"id"`
	Zone        string     `json:"zone"`
	OfferID     string     `json:"offer_id"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	ProjectID   string     `json:"project_id"`
	Tags        []string   `json:"tags"`
	Protected   bool       `json:"protected,omitempty"`
	OptionIDs   []string   `json:"option_ids,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	DeliverFrom time.Time  `json:"deliver_from"`
	IPv4        string     `json:"ipv4"`
	IPv6        string     `json:"ipv6"`
	IPv4ID      string     `json:"ipv4_id"`
	IPv6ID      string     `json:"ipv6_id"`
	Install     *emInstall `json:"install,omitempty"`
	Power       *emPower   `json:"power,omitempty"`
	DeletedAt   *time.Time `json:"deleted_at,omitempty"`
}

func (e *emServer) key() string { return "em/" + e.ID }

type emInstall struct {
	Run             uint64    `json:"run"`
	OSID            string    `json:"os_id"`
	Hostname        string    `json:"hostname"`
	User            string    `json:"user"`
	Password        string    `json:"password,omitempty"`
	ServiceUser     string    `json:"service_user"`
	ServicePassword string    `json:"service_password,omitempty"`
	SSHKeyIDs       []string  `json:"ssh_key_ids"`
	SSHKeys         []string  `json:"ssh_keys"`
	Schema          *schemaW  `json:"schema"`
	RequestedAt     time.Time `json:"requested_at"`
	Fail            bool      `json:"fail,omitempty"`
	Notified        bool      `json:"notified,omitempty"`
}

// emPower is the last start, stop or reboot.
type emPower struct {
	Kind string    `json:"kind"` // start, stop, reboot
	At   time.Time `json:"at"`
}

// serverPN is an Elastic Metal server's attachment to a private network.
type serverPN struct {
	ID               string     `json:"id"`
	Zone             string     `json:"zone"`
	ServerID         string     `json:"server_id"`
	PrivateNetworkID string     `json:"private_network_id"`
	ProjectID        string     `json:"project_id"`
	Vlan             uint32     `json:"vlan"`
	IPAMIPIDs        []string   `json:"ipam_ip_ids"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	DetachAt         *time.Time `json:"detach_at,omitempty"`
}

// vpcNet is a VPC v2 VPC. The default one of a region is created the first
// time the region's VPC API is used, standing for the one Scaleway gives
// every project in every region.
type vpcNet struct {
	ID        string    `json:"id"`
	Region    string    `json:"region"`
	Name      string    `json:"name"`
	ProjectID string    `json:"project_id"`
	Tags      []string  `json:"tags"`
	IsDefault bool      `json:"is_default,omitempty"`
	ULA       string    `json:"ula"` // the /48 its private networks' IPv6 /64s come from
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// privNet is a regional VPC v2 private network.
type privNet struct {
	ID        string     `json:"id"`
	Region    string     `json:"region"`
	VPCID     string     `json:"vpc_id"`
	Name      string     `json:"name"`
	ProjectID string     `json:"project_id"`
	Tags      []string   `json:"tags"`
	Subnets   []pnSubnet `json:"subnets"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

type pnSubnet struct {
	ID   string `json:"id"`
	CIDR string `json:"cidr"`
}

// newUUID draws the next UUID of the world.
func (s *Sim) newUUID() string {
	s.w.Seq.UUID++
	return seededUUID(s.env.Seed, "resource", s.w.Seq.UUID)
}

// nextRun numbers installs and changes, so each gets its own latency jitter.
func (s *Sim) nextRun() uint64 {
	s.w.Seq.InstallRun++
	return s.w.Seq.InstallRun
}
