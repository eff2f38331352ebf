package scaleway

import (
	"net/http"
	"regexp"
	"time"
)

// emInstallReq is both CreateServerRequestInstall (whose fields are sent as
// explicit nulls) and InstallServerRequest (omitempty); user_data is ignored.
type emInstallReq struct {
	OsID               string   `json:"os_id"`
	Hostname           string   `json:"hostname"`
	SSHKeyIDs          []string `json:"ssh_key_ids"`
	User               *string  `json:"user"`
	Password           *string  `json:"password"`
	ServiceUser        *string  `json:"service_user"`
	ServicePassword    *string  `json:"service_password"`
	PartitioningSchema *schemaW `json:"partitioning_schema"`
}

var hostnameRE = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,61}[a-zA-Z0-9])?$`)

// newEMInstall validates req against the OS rules (the recorded
// {default_value, editable, required} of each field) and the offer, and
// returns the install to record. It draws the one-shot install fault.
func (s *Sim) newEMInstall(e *emServer, o emOffer, req *emInstallReq, now time.Time) (*emInstall, error) {
	os, ok := emOSByID(req.OsID)
	if !ok {
		return nil, invalidArg("os_id", "constraint", "unknown OS "+req.OsID)
	}
	if o.incompatibleWith(os.Code) {
		return nil, invalidArg("os_id", "constraint", "OS "+os.Name+" "+os.Version+" is not compatible with offer "+o.Name)
	}
	if req.Hostname != "" && !hostnameRE.MatchString(req.Hostname) {
		return nil, invalidArg("hostname", "constraint", "must be a valid hostname")
	}
	keys, err := s.resolveKeys(req.SSHKeyIDs, e.ProjectID, "ssh_key_ids")
	if err != nil {
		return nil, err
	}
	if os.SSH.Required && len(keys) == 0 {
		return nil, invalidArg("ssh_key_ids", "required", "this OS requires at least one SSH key")
	}
	in := &emInstall{
		Run: s.nextRun(), OSID: os.ID, Hostname: req.Hostname, SSHKeyIDs: nonNil(req.SSHKeyIDs), SSHKeys: keys,
		User: pick(os.User, req.User), ServiceUser: pick(os.ServiceUser, req.ServiceUser), RequestedAt: now,
	}
	if in.Password, err = secret(os.Password, req.Password, "password"); err != nil {
		return nil, err
	}
	if in.ServicePassword, err = secret(os.ServicePassword, req.ServicePassword, "service_password"); err != nil {
		return nil, err
	}
	switch {
	case req.PartitioningSchema != nil && !os.CustomPartitioning:
		return nil, invalidArg("partitioning_schema", "constraint", "this OS does not support custom partitioning")
	case req.PartitioningSchema != nil:
		if err := checkSchema(req.PartitioningSchema, o); err != nil {
			return nil, err
		}
		in.Schema = req.PartitioningSchema
	case os.CustomPartitioning:
		in.Schema = defaultSchema(o, os)
	}
	in.Fail = s.env.Faults.TakeOneShot("install-fail", nonEmpty(req.Hostname, e.Name, e.ID)...)
	return in, nil
}

// pick applies an OS field rule: the given value when editable, else the default.
func pick(f osField, v *string) string {
	if f.Editable && v != nil && *v != "" {
		return *v
	}
	return f.Default
}

// secret applies an OS field rule to a password.
func secret(f osField, v *string, name string) (string, error) {
	switch {
	case f.Required && (v == nil || *v == ""):
		return "", invalidArg(name, "required", name+" is required for this OS")
	case v == nil || !f.Editable:
		return "", nil
	case len(*v) < 8:
		return "", invalidArg(name, "constraint", name+" must be at least 8 characters long")
	}
	return *v, nil
}

func nonEmpty(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// installEMServer serves POST .../servers/{id}/install. The install waits for
// delivery if the server is not delivered yet; it is refused while another
// install runs or the server is being deleted.
func (s *Sim) installEMServer(r *http.Request, now time.Time) (any, error) {
	e, err := s.emFromPath(r)
	if err != nil {
		return nil, err
	}
	if e.DeletedAt != nil {
		return nil, transientState("baremetal_server", e.ID, "deleting")
	}
	if e.Install != nil {
		if st := s.emInstallStatus(e, now); st == "to_install" || st == "installing" {
			return nil, transientState("baremetal_server", e.ID, "installing")
		}
	}
	var req emInstallReq
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	o, _ := emOfferByID(e.OfferID)
	in, err := s.newEMInstall(e, o, &req, now)
	if err != nil {
		return nil, err
	}
	e.Install, e.UpdatedAt = in, now
	return s.emServerWire(e, now, false), nil
}

func (s *Sim) listEMOS(r *http.Request, _ time.Time) (any, error) {
	zone, err := emZone(r)
	if err != nil {
		return nil, err
	}
	var offer *emOffer
	if id := r.URL.Query().Get("offer_id"); id != "" {
		o, ok := emOfferByID(id)
		if !ok {
			return nil, invalidArg("offer_id", "constraint", "unknown offer")
		}
		offer = &o
	}
	var all []emOSW
	for _, os := range emOSes {
		if offer == nil || !offer.incompatibleWith(os.Code) {
			all = append(all, os.wire(zone))
		}
	}
	lo, hi, err := page(r, len(all))
	if err != nil {
		return nil, err
	}
	return map[string]any{"os": all[lo:hi], "total_count": len(all)}, nil
}

func (s *Sim) getEMOS(r *http.Request, _ time.Time) (any, error) {
	zone, err := emZone(r)
	if err != nil {
		return nil, err
	}
	id, err := pathUUID(r, "os_id")
	if err != nil {
		return nil, err
	}
	os, ok := emOSByID(id)
	if !ok {
		return nil, notFound("os", id)
	}
	return os.wire(zone), nil
}
