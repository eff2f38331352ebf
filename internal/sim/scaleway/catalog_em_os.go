package scaleway

// emOS is one Elastic Metal OS image: a subset of the recorded fr-par-2 list
// (2025-12-09) with its real IDs and field rules. Code names the image in
// emOffer.Incompatible.
type emOS struct {
	Code, ID, Name, Version, Logo string
	CustomPartitioning            bool
	CloudInit                     string // cloud_init_version, "" when unsupported
	License                       bool
	SSH, User, Password           osField
	ServiceUser, ServicePassword  osField
	Proxmox                       bool // a Proxmox VE image: its install makes a Proxmox host
}

// osField is the {default_value, editable, required} rule of one install field.
type osField struct {
	Default  string
	Editable bool
	Required bool
}

var (
	linuxSSH  = osField{Required: true}
	root      = osField{Default: "root"}
	svcRoot   = osField{Default: "root", Required: true}
	svcPasswd = osField{Editable: true, Required: true}
)

var emOSes = []emOS{
	{Code: "custom", ID: "52a2423a-3fbc-4fc0-8ac6-91735a2aa47d", Name: "Custom install", Version: "via Remote access", Logo: "custom.svg", User: root},
	{Code: "u2404", ID: "7d1914e1-f4ab-47fc-bd8c-b3a23143e87a", Name: "Ubuntu", Version: "24.04 LTS (Noble Numbat)", Logo: "ubuntu.png", CustomPartitioning: true, CloudInit: "22.1", SSH: linuxSSH, User: osField{Default: "ubuntu"}},
	{Code: "u2204", ID: "96e5f0f2-d216-4de2-8a15-68730d877885", Name: "Ubuntu", Version: "22.04 LTS (Jammy Jellyfish)", Logo: "ubuntu.png", CustomPartitioning: true, CloudInit: "22.1", SSH: linuxSSH, User: osField{Default: "ubuntu"}},
	{Code: "u2004", ID: "03b7f4ba-a6a1-4305-984e-b54fafbf1681", Name: "Ubuntu", Version: "20.04 LTS (Focal Fossa)", Logo: "ubuntu.png", CustomPartitioning: true, SSH: linuxSSH, User: osField{Default: "ubuntu"}},
	{Code: "d12", ID: "83640d93-a0b8-45ad-9c9f-30cae48380a4", Name: "Debian", Version: "12 (Bookworm)", Logo: "debian.png", CustomPartitioning: true, CloudInit: "25.1", SSH: linuxSSH, User: root},
	{Code: "d13", ID: "8d034a5d-84c6-4b24-af8a-60ab7c55807f", Name: "Debian", Version: "13 (Trixie)", Logo: "debian.png", CustomPartitioning: true, CloudInit: "25.1", SSH: linuxSSH, User: root},
	{Code: "d11", ID: "0aa99516-52bb-4a7d-b9fe-1adc8478c2e0", Name: "Debian", Version: "11 (Bullseye)", Logo: "debian.png", CustomPartitioning: true, CloudInit: "25.1", SSH: linuxSSH, User: root},
	{Code: "pve8", ID: "a5c00c1b-95b1-4c08-8a33-79cc079f9dac", Name: "Proxmox", Version: "VE 8 | Debian 12 (Bookworm)", Logo: "proxmox.png", CustomPartitioning: true, User: root, ServiceUser: svcRoot, ServicePassword: svcPasswd, Proxmox: true},
	{Code: "pve7", ID: "7e865c16-1a63-4dc7-8181-dabc020fc21b", Name: "Proxmox", Version: "VE 7 | Debian 11 (Bullseye)", Logo: "proxmox.png", CustomPartitioning: true, User: root, ServiceUser: svcRoot, ServicePassword: svcPasswd, Proxmox: true},
	{Code: "pbs2", ID: "7fb86682-316e-4f6e-a845-de9b230cdd29", Name: "Proxmox", Version: "Backup Server 2 | Debian 11 (Bullseye)", Logo: "proxmox.png", CustomPartitioning: true, User: root, ServiceUser: svcRoot, ServicePassword: svcPasswd},
	{Code: "rocky9", ID: "2e7ee5ae-58ac-46bb-b8e9-a6ec1bad09b1", Name: "Rocky Linux", Version: "9", Logo: "rockylinux.png", CustomPartitioning: true, CloudInit: "22.1", SSH: linuxSSH, User: root},
	{Code: "esxi7", ID: "b4816d13-8585-4005-a7c7-54a031dd933b", Name: "ESXi", Version: "7.0U3c", Logo: "esxi.png", User: root, ServiceUser: svcRoot, ServicePassword: svcPasswd},
	{Code: "win22", ID: "bf705b90-1548-4368-98ca-d17dbd8dd860", Name: "Windows", Version: "2022 64BITS standard", Logo: "windows.png", License: true, User: osField{Default: "Administrateur", Required: true}, Password: svcPasswd},
}

func emOSByID(id string) (emOS, bool) {
	for _, o := range emOSes {
		if o.ID == id {
			return o, true
		}
	}
	return emOS{}, false
}

// emOSW is the wire form of an OS (baremetal/v1 OS).
type emOSW struct {
	ID                          string   `json:"id"`
	Name                        string   `json:"name"`
	Version                     string   `json:"version"`
	LogoURL                     string   `json:"logo_url"`
	SSH                         osFieldW `json:"ssh"`
	User                        osFieldW `json:"user"`
	Password                    osFieldW `json:"password"`
	ServiceUser                 osFieldW `json:"service_user"`
	ServicePassword             osFieldW `json:"service_password"`
	Enabled                     bool     `json:"enabled"`
	LicenseRequired             bool     `json:"license_required"`
	Allowed                     bool     `json:"allowed"`
	CustomPartitioningSupported bool     `json:"custom_partitioning_supported"`
	CloudInitSupported          bool     `json:"cloud_init_supported"`
	CloudInitVersion            *string  `json:"cloud_init_version"`
	Zone                        string   `json:"zone"`
}

type osFieldW struct {
	DefaultValue *string `json:"default_value"`
	Editable     bool    `json:"editable"`
	Required     bool    `json:"required"`
}

func (f osField) wire() osFieldW {
	w := osFieldW{Editable: f.Editable, Required: f.Required}
	if f.Default != "" {
		d := f.Default
		w.DefaultValue = &d
	}
	return w
}

func (o emOS) wire(zone string) emOSW {
	w := emOSW{
		ID: o.ID, Name: o.Name, Version: o.Version,
		LogoURL: "https://baremetal-logos-fr.s3.fr-par.scw.cloud/" + o.Logo,
		SSH:     o.SSH.wire(), User: o.User.wire(), Password: o.Password.wire(),
		ServiceUser: o.ServiceUser.wire(), ServicePassword: o.ServicePassword.wire(),
		Enabled: true, Allowed: true, LicenseRequired: o.License,
		CustomPartitioningSupported: o.CustomPartitioning,
		CloudInitSupported:          o.CloudInit != "",
		Zone:                        zone,
	}
	if o.CloudInit != "" {
		v := o.CloudInit
		w.CloudInitVersion = &v
	}
	return w
}
