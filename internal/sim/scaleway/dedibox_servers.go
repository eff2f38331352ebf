package scaleway

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// createDServer serves the Dedibox CreateServer: an order, answered with the
// Service to follow. The server exists from now on but the client only sees
// it (through the service's resource_id) once the service is ready.
func (s *Sim) createDServer(r *http.Request, now time.Time) (any, error) {
	zone, err := dediboxZone(r)
	if err != nil {
		return nil, err
	}
	var req struct {
		OfferID         uint64   `json:"offer_id"`
		ServerOptionIDs []uint64 `json:"server_option_ids"`
		ProjectID       *string  `json:"project_id"`
		DatacenterName  *string  `json:"datacenter_name"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	project, err := s.requestProject(req.ProjectID, nil, "dedibox_server")
	if err != nil {
		return nil, err
	}
	o, ok := dOfferByID(req.OfferID)
	if !ok {
		return nil, invalidArg("offer_id", "constraint", "unknown offer "+itoa(req.OfferID))
	}
	if len(req.ServerOptionIDs) > 0 {
		return nil, invalidArg("server_option_ids", "constraint", "offer "+o.Name+" has no orderable options")
	}
	dc, err := s.pickDC(o, zone, req.DatacenterName)
	if err != nil {
		return nil, err
	}
	if err := s.checkQuota("dedibox_servers", s.liveDedibox(project)); err != nil {
		return nil, err
	}
	s.w.Seq.DServer++
	s.w.Seq.DService++
	d := &dServer{
		ID: s.w.Seq.DServer, ServiceID: s.w.Seq.DService, OfferID: o.ID, Datacenter: dc, ProjectID: project,
		Hostname: "sd-" + itoa(s.w.Seq.DServer), Tags: []string{}, CreatedAt: now, UpdatedAt: now, DeliverFrom: now,
	}
	sv := &dService{ID: d.ServiceID, OfferID: o.ID, ServerID: d.ID, ProjectID: project, Zone: zoneOfDC(dc), CreatedAt: now, ReadyFrom: now}
	s.assignDediboxAddresses(d)
	s.w.Dedibox = append(s.w.Dedibox, d)
	s.w.Services = append(s.w.Services, sv)
	return s.serviceWire(sv, now), nil
}

// pickDC checks the asked datacenter (any of the zone's region) or picks the
// first of the zone's own with stock; an empty one is out_of_stock.
func (s *Sim) pickDC(o dOffer, zone string, asked *string) (string, error) {
	if asked != nil && *asked != "" {
		dc := strings.ToUpper(*asked)
		if !slices.Contains(regionDCs(zone), dc) {
			return "", invalidArg("datacenter_name", "constraint", "unknown datacenter "+*asked+" for zone "+zone)
		}
		if s.dStock(o, dc) == "empty" {
			return "", outOfStock("dedibox_server")
		}
		return dc, nil
	}
	for _, dc := range dediboxZones[zone] {
		if s.dStock(o, dc) != "empty" {
			return dc, nil
		}
	}
	return "", outOfStock("dedibox_server")
}

func (s *Sim) liveDedibox(project string) int {
	n := 0
	for _, d := range s.w.Dedibox {
		if d.ProjectID == project && d.DeletedAt == nil {
			n++
		}
	}
	return n
}

// dFromPath finds a visible server of the request zone's region (Dedibox
// zones are datacenter groups; a region-wide lookup is the lenient choice).
func (s *Sim) dFromPath(r *http.Request, now time.Time) (*dServer, error) {
	zone, err := dediboxZone(r)
	if err != nil {
		return nil, err
	}
	id, err := pathUint(r, "server_id")
	if err != nil {
		return nil, err
	}
	for _, d := range s.w.Dedibox {
		if d.ID == id && s.dVisible(d, now) && regionOf(zoneOfDC(d.Datacenter)) == regionOf(zone) {
			return d, nil
		}
	}
	return nil, notFound("dedibox_server", itoa(id))
}

func (s *Sim) getDServer(r *http.Request, now time.Time) (any, error) {
	d, err := s.dFromPath(r, now)
	if err != nil {
		return nil, err
	}
	return s.dServerWire(d, now), nil
}

// listDServers serves ListServers: the servers of the path's zone only;
// search matches a substring of the
// hostname only, without case: the SDK documents it as "filter servers by
// hostname", so a client finding its servers by tag through it would pass
// here and fail on the real API.
func (s *Sim) listDServers(r *http.Request, now time.Time) (any, error) {
	zone, err := dediboxZone(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	if err := s.listProject(q, "dedibox_server"); err != nil {
		return nil, err
	}
	search := strings.ToLower(q.Get("search"))
	var all []dServerSummaryW
	for _, d := range s.w.Dedibox {
		switch {
		case !s.dVisible(d, now), zoneOfDC(d.Datacenter) != zone, // the zone in the path, as the real list
			q.Get("project_id") != "" && q.Get("project_id") != d.ProjectID,
			search != "" && !strings.Contains(strings.ToLower(d.Hostname), search):
			continue
		}
		all = append(all, s.dSummaryWire(d, now))
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

func (s *Sim) updateDServer(r *http.Request, now time.Time) (any, error) {
	d, err := s.dFromPath(r, now)
	if err != nil {
		return nil, err
	}
	var req struct {
		Hostname   *string `json:"hostname"`
		EnableIPv6 *bool   `json:"enable_ipv6"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if req.Hostname != nil {
		if !hostnameRE.MatchString(*req.Hostname) {
			return nil, invalidArg("hostname", "constraint", "must be a valid hostname")
		}
		d.Hostname = *req.Hostname
	}
	d.UpdatedAt = now
	return s.dServerWire(d, now), nil
}

// updateDServerTags replaces the tags (POST .../tags {"tags": [...]}).
func (s *Sim) updateDServerTags(r *http.Request, now time.Time) (any, error) {
	d, err := s.dFromPath(r, now)
	if err != nil {
		return nil, err
	}
	var req struct {
		Tags []string `json:"tags"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	d.Tags, d.UpdatedAt = nonNil(slices.Clone(req.Tags)), now
	return s.dServerWire(d, now), nil
}

// deleteDServer terminates the server: busy, then gone; its service expires.
func (s *Sim) deleteDServer(r *http.Request, now time.Time) (any, error) {
	d, err := s.dFromPath(r, now)
	if err != nil {
		return nil, err
	}
	if st := s.dStatus(d, now); st == "busy" || st == "delivering" {
		return nil, transientState("dedibox_server", itoa(d.ID), st)
	}
	d.DeletedAt, d.UpdatedAt = &now, now
	if sv := s.findService(d.ServiceID); sv != nil {
		sv.Terminated = &now
	}
	return nil, nil
}

// powerDServer serves start, stop and reboot (204, no body).
func (s *Sim) powerDServer(kind string) handler {
	return func(r *http.Request, now time.Time) (any, error) {
		d, err := s.dFromPath(r, now)
		if err != nil {
			return nil, err
		}
		if st := s.dStatus(d, now); st != "ready" && st != "stopped" && st != "error" {
			return nil, transientState("dedibox_server", itoa(d.ID), st)
		}
		switch kind {
		case "stop":
			d.Stopped = true
		case "start":
			d.Stopped = false
		case "reboot":
			d.Stopped, d.RebootAt = false, &now
			if s.OnRebooted != nil {
				s.OnRebooted(itoa(d.ID))
			}
		}
		d.UpdatedAt = now
		return nil, nil
	}
}

func (s *Sim) getRemainingQuota(r *http.Request, _ time.Time) (any, error) {
	if _, err := dediboxZone(r); err != nil {
		return nil, err
	}
	return map[string]uint32{
		"failover_ip_quota": 32, "failover_ip_remaining_quota": 32,
		"failover_block_quota": 1, "failover_block_remaining_quota": 1,
	}, nil
}
