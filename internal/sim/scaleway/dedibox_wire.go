package scaleway

import "time"

// The wire forms of dedibox/v1, written from the SDK's JSON tags (no
// recording of this API exists). IDs are plain JSON numbers.

type dOfferW struct {
	ID               uint64        `json:"id"`
	Name             string        `json:"name"`
	Catalog          string        `json:"catalog"`
	PaymentFrequency string        `json:"payment_frequency"`
	Pricing          *moneyW       `json:"pricing"`
	OfferID          *uint64       `json:"offer_id"`
	ServerInfo       *dServerInfoW `json:"server_info,omitempty"`
	RpnInfo          *dSpeedW      `json:"rpn_info,omitempty"`
	BandwidthInfo    *dSpeedW      `json:"bandwidth_info,omitempty"`
}

// dSpeedW carries a speed in Mbit/s (the SDK field is a uint32).
type dSpeedW struct {
	Speed uint32 `json:"speed"`
}

type dServerInfoW struct {
	Bandwidth          uint64            `json:"bandwidth"`
	Stock              string            `json:"stock"`
	CommercialRange    string            `json:"commercial_range"`
	Disks              []dDiskW          `json:"disks"`
	CPUs               []dCPUW           `json:"cpus"`
	Memories           []dMemW           `json:"memories"`
	PersistentMemories []struct{}        `json:"persistent_memories"`
	RaidControllers    []dRaidCtlW       `json:"raid_controllers"`
	AvailableOptions   []dOfferW         `json:"available_options"`
	RpnVersion         *uint32           `json:"rpn_version"`
	Connectivity       uint64            `json:"connectivity"`
	OnetimeFees        *dOfferW          `json:"onetime_fees"`
	StockByDatacenter  map[string]string `json:"stock_by_datacenter"`
}

type dDiskW struct {
	Capacity uint64 `json:"capacity"`
	Type     string `json:"type"`
}

type dCPUW struct {
	Name        string `json:"name"`
	CoreCount   uint32 `json:"core_count"`
	ThreadCount uint32 `json:"thread_count"`
	Frequency   uint32 `json:"frequency"`
}

type dMemW struct {
	Capacity  uint64 `json:"capacity"`
	Type      string `json:"type"`
	Frequency uint32 `json:"frequency"`
	IsEcc     bool   `json:"is_ecc"`
}

type dRaidCtlW struct {
	Model     string   `json:"model"`
	RaidLevel []string `json:"raid_level"`
}

type dOSW struct {
	ID                      uint64     `json:"id"`
	Name                    string     `json:"name"`
	Type                    string     `json:"type"`
	Version                 string     `json:"version"`
	Arch                    string     `json:"arch"`
	AllowCustomPartitioning bool       `json:"allow_custom_partitioning"`
	AllowSSHKeys            bool       `json:"allow_ssh_keys"`
	RequiresUser            bool       `json:"requires_user"`
	RequiresAdminPassword   bool       `json:"requires_admin_password"`
	RequiresPanelPassword   bool       `json:"requires_panel_password"`
	AllowedFilesystems      []string   `json:"allowed_filesystems"`
	RequiresLicense         bool       `json:"requires_license"`
	LicenseOffers           []dOfferW  `json:"license_offers"`
	MaxPartitions           *uint32    `json:"max_partitions"`
	DisplayName             string     `json:"display_name"`
	PasswordRegex           string     `json:"password_regex"`
	PanelPasswordRegex      *string    `json:"panel_password_regex"`
	RequiresValidHostname   *bool      `json:"requires_valid_hostname"`
	HostnameRegex           *string    `json:"hostname_regex"`
	HostnameMaxLength       uint32     `json:"hostname_max_length"`
	ReleasedAt              *time.Time `json:"released_at"`
}

type dServerW struct {
	ID             uint64     `json:"id"`
	OrganizationID string     `json:"organization_id"`
	ProjectID      string     `json:"project_id"`
	Hostname       string     `json:"hostname"`
	RebootedAt     *time.Time `json:"rebooted_at"`
	CreatedAt      *time.Time `json:"created_at"`
	UpdatedAt      *time.Time `json:"updated_at"`
	ExpiredAt      *time.Time `json:"expired_at"`
	Offer          *dOfferW   `json:"offer"`
	Status         string     `json:"status"`
	Location       *dLocW     `json:"location"`
	AbuseContact   string     `json:"abuse_contact"`
	Os             *dOSW      `json:"os"`
	Interfaces     []dIfaceW  `json:"interfaces"`
	Zone           string     `json:"zone"`
	Options        []struct{} `json:"options"`
	Level          *dLevelW   `json:"level"`
	HasBmc         bool       `json:"has_bmc"`
	RescueOs       *dOSW      `json:"rescue_os"`
	Tags           []string   `json:"tags"`
	IsOutsourced   bool       `json:"is_outsourced"`
	IPv6Slaac      bool       `json:"ipv6_slaac"`
	Qinq           bool       `json:"qinq"`
	IsRpnv2Member  bool       `json:"is_rpnv2_member"`
	IsHds          bool       `json:"is_hds"`
}

type dServerSummaryW struct {
	ID             uint64     `json:"id"`
	DatacenterName string     `json:"datacenter_name"`
	OrganizationID string     `json:"organization_id"`
	ProjectID      string     `json:"project_id"`
	Hostname       string     `json:"hostname"`
	CreatedAt      *time.Time `json:"created_at"`
	UpdatedAt      *time.Time `json:"updated_at"`
	ExpiredAt      *time.Time `json:"expired_at"`
	OfferID        uint64     `json:"offer_id"`
	OfferName      string     `json:"offer_name"`
	Status         string     `json:"status"`
	OsID           *uint64    `json:"os_id"`
	Interfaces     []dIfaceW  `json:"interfaces"`
	Zone           string     `json:"zone"`
	Level          *dLevelW   `json:"level"`
	IsOutsourced   bool       `json:"is_outsourced"`
	Qinq           bool       `json:"qinq"`
	RpnVersion     *uint32    `json:"rpn_version"`
	IsHds          bool       `json:"is_hds"`
}

type dLocW struct {
	Rack           string `json:"rack"`
	Room           string `json:"room"`
	DatacenterName string `json:"datacenter_name"`
}

type dLevelW struct {
	OfferID uint32 `json:"offer_id"`
	Level   string `json:"level"`
}

type dIfaceW struct {
	CardID   uint64 `json:"card_id"`
	DeviceID uint64 `json:"device_id"`
	Mac      string `json:"mac"`
	Type     string `json:"type"`
	IPs      []dIPW `json:"ips"`
}

type dIPW struct {
	IPID     uint64 `json:"ip_id"`
	Address  string `json:"address"`
	Reverse  string `json:"reverse"`
	Version  string `json:"version"`
	Cidr     uint32 `json:"cidr"`
	Netmask  string `json:"netmask"`
	Semantic string `json:"semantic"`
	Gateway  string `json:"gateway"`
	Status   string `json:"status"`
}

type dServiceW struct {
	ID                 uint64     `json:"id"`
	ResourceID         *uint64    `json:"resource_id"`
	ProvisioningStatus string     `json:"provisioning_status"`
	Offer              *dOfferW   `json:"offer"`
	CreatedAt          *time.Time `json:"created_at"`
	DeliveredAt        *time.Time `json:"delivered_at"`
	TerminatedAt       *time.Time `json:"terminated_at"`
	ExpiresAt          *time.Time `json:"expires_at"`
	Type               string     `json:"type"`
}

type dInstallW struct {
	OsID       uint64        `json:"os_id"`
	Hostname   string        `json:"hostname"`
	UserLogin  *string       `json:"user_login"`
	Partitions []dPartitionW `json:"partitions"`
	SSHKeyIDs  []string      `json:"ssh_key_ids"`
	Status     string        `json:"status"`
	PanelURL   *string       `json:"panel_url"`
}

type dPartitionW struct {
	Type       string   `json:"type"`
	FileSystem string   `json:"file_system"`
	MountPoint *string  `json:"mount_point"`
	RaidLevel  string   `json:"raid_level"`
	Capacity   uint64   `json:"capacity"`
	Connectors []string `json:"connectors"`
}
