package scaleway

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

type emCreateReq struct {
	OfferID        string        `json:"offer_id"`
	OrganizationID *string       `json:"organization_id"`
	ProjectID      *string       `json:"project_id"`
	Name           string        `json:"name"`
	Description    string        `json:"description"`
	Tags           []string      `json:"tags"`
	Install        *emInstallReq `json:"install"`
	OptionIDs      []string      `json:"option_ids"`
	Protected      bool          `json:"protected"`
}

// createEMServer serves CreateServer: validation, stock and quota first, then
// the server in ordered (or delivering) with its addresses already drawn.
func (s *Sim) createEMServer(r *http.Request, now time.Time) (any, error) {
	zone, err := emZone(r)
	if err != nil {
		return nil, err
	}
	var req emCreateReq
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	project, err := s.requestProject(req.ProjectID, req.OrganizationID, "baremetal_server")
	if err != nil {
		return nil, err
	}
	o, ok := emOfferByID(req.OfferID)
	switch {
	case !ok:
		return nil, invalidArg("offer_id", "constraint", "unknown offer "+req.OfferID)
	case req.Name == "":
		return nil, invalidArg("name", "required", "name is required")
	case s.emStock(o, zone) == "empty":
		return nil, outOfStock("baremetal_server")
	}
	for _, id := range req.OptionIDs {
		if !slices.ContainsFunc(emOfferOptions(o), func(opt emOptionW) bool { return opt.ID == id }) {
			return nil, invalidArg("option_ids", "constraint", "option "+id+" is not available on "+o.Name)
		}
	}
	if err := s.checkQuota("baremetal_servers", s.liveEM(project)); err != nil {
		return nil, err
	}
	e := &emServer{
		ID: s.newUUID(), Zone: zone, OfferID: o.ID, Name: req.Name, Description: req.Description,
		ProjectID: project, Tags: nonNil(req.Tags), Protected: req.Protected, OptionIDs: req.OptionIDs,
		CreatedAt: now, UpdatedAt: now, DeliverFrom: now,
	}
	if req.Install != nil {
		if e.Install, err = s.newEMInstall(e, o, req.Install, now); err != nil {
			return nil, err
		}
	}
	s.assignEMAddresses(e)
	s.w.EM = append(s.w.EM, e)
	return s.emServerWire(e, now, true), nil
}

// requestProject resolves the project of a create: the project, else the
// organization (its default project); another account's is refused.
func (s *Sim) requestProject(project, org *string, resource string) (string, error) {
	p := ""
	switch {
	case project != nil && *project != "":
		p = *project
	case org != nil && *org != "":
		p = *org
	default:
		return "", invalidArg("project_id", "required", "project_id or organization_id is required")
	}
	if p != s.creds.ProjectID && p != s.creds.OrganizationID {
		return "", permissionDenied(resource, "create")
	}
	return s.creds.ProjectID, nil
}

// listProject refuses a list filtered by a project the key has no access
// to, as Scaleway's IAM does: permissions are granted per project, so a
// filter naming another project is answered 403 permissions_denied, not with
// an empty page.
func (s *Sim) listProject(q url.Values, resource string) error {
	if p := q.Get("project_id"); p != "" && p != s.creds.ProjectID {
		return permissionDenied(resource, "list")
	}
	return nil
}

// SetServerQuota caps the live servers per provider and project at n (0,
// or less, means no cap), like setting ServerQuota but safe while the
// simulator serves: the field is read under the simulator's lock.
func (s *Sim) SetServerQuota(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ServerQuota = max(n, 0)
}

// ServerQuotaNow returns the quota SetServerQuota set (0: no cap).
func (s *Sim) ServerQuotaNow() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ServerQuota
}

func (s *Sim) checkQuota(resource string, current int) error {
	if s.ServerQuota > 0 && current >= s.ServerQuota {
		return quotaExceeded(resource, s.ServerQuota, current)
	}
	return nil
}

func (s *Sim) liveEM(project string) int {
	n := 0
	for _, e := range s.w.EM {
		if e.ProjectID == project && e.DeletedAt == nil {
			n++
		}
	}
	return n
}

// emFromPath finds the server of {zone}/{server_id}; a missing one gets the
// recorded untyped 404, whether it never existed or was deleted.
func (s *Sim) emFromPath(r *http.Request) (*emServer, error) {
	zone, err := emZone(r)
	if err != nil {
		return nil, err
	}
	id, err := pathUUID(r, "server_id")
	if err != nil {
		return nil, err
	}
	for _, e := range s.w.EM {
		if e.ID == id && e.Zone == zone {
			return e, nil
		}
	}
	return nil, emServerNotFound()
}

func (s *Sim) getEMServer(r *http.Request, now time.Time) (any, error) {
	e, err := s.emFromPath(r)
	if err != nil {
		return nil, err
	}
	return s.emServerWire(e, now, false), nil
}

// listEMServers serves ListServers with the tags (all must match), status,
// name (substring), project_id, organization_id and option_id filters.
func (s *Sim) listEMServers(r *http.Request, now time.Time) (any, error) {
	zone, err := emZone(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	if err := s.listProject(q, "baremetal_server"); err != nil {
		return nil, err
	}
	var all []emServerW
	for _, e := range s.w.EM {
		w := s.emServerWire(e, now, false)
		switch {
		case e.Zone != zone,
			!containsAll(e.Tags, q["tags"]),
			len(q["status"]) > 0 && !slices.Contains(q["status"], w.Status),
			!strings.Contains(e.Name, q.Get("name")),
			q.Get("project_id") != "" && q.Get("project_id") != e.ProjectID,
			q.Get("organization_id") != "" && q.Get("organization_id") != s.creds.OrganizationID,
			q.Get("option_id") != "" && !slices.Contains(e.OptionIDs, q.Get("option_id")):
			continue
		}
		all = append(all, w)
	}
	if q.Get("order_by") == "created_at_desc" {
		slices.Reverse(all)
	}
	lo, hi, err := page(r, len(all))
	if err != nil {
		return nil, err
	}
	return map[string]any{"servers": nonNil(all[lo:hi]), "total_count": len(all)}, nil
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

type emUpdateReq struct {
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	Tags        *[]string `json:"tags"`
	Protected   *bool     `json:"protected"`
}

func (s *Sim) updateEMServer(r *http.Request, now time.Time) (any, error) {
	e, err := s.emFromPath(r)
	if err != nil {
		return nil, err
	}
	var req emUpdateReq
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if req.Name != nil {
		if *req.Name == "" {
			return nil, invalidArg("name", "constraint", "name cannot be empty")
		}
		e.Name = *req.Name
	}
	if req.Description != nil {
		e.Description = *req.Description
	}
	if req.Tags != nil {
		e.Tags = nonNil(slices.Clone(*req.Tags))
	}
	if req.Protected != nil {
		e.Protected = *req.Protected
	}
	e.UpdatedAt = now
	return s.emServerWire(e, now, false), nil
}

// deleteEMServer answers with the server in "deleting", as recorded; it is
// gone (404) once OpServerDelete has passed.
func (s *Sim) deleteEMServer(r *http.Request, now time.Time) (any, error) {
	e, err := s.emFromPath(r)
	if err != nil {
		return nil, err
	}
	switch {
	case e.DeletedAt != nil:
		return nil, transientState("baremetal_server", e.ID, "deleting")
	case e.Protected:
		return nil, preconditionFailed("resource_protected", "the server is protected: unset protected first")
	}
	e.DeletedAt, e.UpdatedAt = &now, now
	return s.emServerWire(e, now, false), nil
}

// powerEMServer serves start, stop and reboot. Before delivery the answer is
// the recorded 400 {"message":"Server is not delivered"}.
func (s *Sim) powerEMServer(kind string) handler {
	return func(r *http.Request, now time.Time) (any, error) {
		e, err := s.emFromPath(r)
		if err != nil {
			return nil, err
		}
		switch st := s.emStatus(e, now); st {
		case "ordered", "delivering":
			return nil, &apiError{Status: http.StatusBadRequest, Body: map[string]any{"message": "Server is not delivered"}}
		case "deleting", "stopping", "starting":
			return nil, transientState("baremetal_server", e.ID, st)
		}
		e.Power, e.UpdatedAt = &emPower{Kind: kind, At: now}, now
		if kind == "reboot" && s.OnRebooted != nil {
			s.OnRebooted(e.ID)
		}
		return s.emServerWire(e, now, false), nil
	}
}
