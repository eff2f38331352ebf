package scaleway

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// listDOffers serves the Dedibox ListOffers with the commercial_range,
// available_only and sold_in filters; catalog and the failover filters are
// accepted and ignored (every offer here is a server in the default catalog).
func (s *Sim) listDOffers(r *http.Request, _ time.Time) (any, error) {
	zone, err := dediboxZone(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	var soldIn []string
	for _, v := range q["sold_in"] {
		soldIn = append(soldIn, strings.Split(strings.ToUpper(v), ",")...)
	}
	var all []*dOfferW
	for _, o := range dOffers {
		w := s.dOfferWire(o, zone)
		switch {
		case q.Get("commercial_range") != "" && !strings.EqualFold(q.Get("commercial_range"), o.Range),
			q.Get("available_only") == "true" && w.ServerInfo.Stock == "empty",
			len(soldIn) > 0 && !slices.ContainsFunc(regionDCs(zone), func(dc string) bool { return slices.Contains(soldIn, dc) }):
			continue
		}
		all = append(all, w)
	}
	lo, hi, err := page(r, len(all))
	if err != nil {
		return nil, err
	}
	return map[string]any{"offers": nonNil(all[lo:hi]), "total_count": len(all)}, nil
}

func (s *Sim) getDOffer(r *http.Request, _ time.Time) (any, error) {
	zone, err := dediboxZone(r)
	if err != nil {
		return nil, err
	}
	id, err := pathUint(r, "offer_id")
	if err != nil {
		return nil, err
	}
	o, ok := dOfferByID(id)
	if !ok {
		return nil, notFound("dedibox_offer", itoa(id))
	}
	return s.dOfferWire(o, zone), nil
}

// listDOS serves ListOS; offer_id or server_id keep the OSes allowed there.
func (s *Sim) listDOS(r *http.Request, now time.Time) (any, error) {
	zone, err := dediboxZone(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	var offer *dOffer
	if v := q.Get("offer_id"); v != "" {
		id, _ := strconv.ParseUint(v, 10, 64)
		o, ok := dOfferByID(id)
		if !ok {
			return nil, invalidArg("offer_id", "constraint", "unknown offer "+v)
		}
		offer = &o
	}
	if v := q.Get("server_id"); v != "" {
		id, _ := strconv.ParseUint(v, 10, 64)
		d := s.findDServer(id, now)
		if d == nil || regionOf(zoneOfDC(d.Datacenter)) != regionOf(zone) {
			return nil, notFound("dedibox_server", v)
		}
		o, _ := dOfferByID(d.OfferID)
		offer = &o
	}
	var all []*dOSW
	for _, os := range dOSes {
		switch typ := q.Get("type"); {
		case typ != "" && typ != "unknown_type" && typ != os.Type,
			offer != nil && !os.allowedOn(*offer):
			continue
		}
		all = append(all, dOSWire(os))
	}
	lo, hi, err := page(r, len(all))
	if err != nil {
		return nil, err
	}
	return map[string]any{"os": nonNil(all[lo:hi]), "total_count": len(all)}, nil
}

func (s *Sim) getDOS(r *http.Request, _ time.Time) (any, error) {
	if _, err := dediboxZone(r); err != nil {
		return nil, err
	}
	id, err := pathUint(r, "os_id")
	if err != nil {
		return nil, err
	}
	os, ok := dOSByID(id)
	if !ok {
		return nil, notFound("dedibox_os", itoa(id))
	}
	return dOSWire(os), nil
}

func (s *Sim) findDServer(id uint64, now time.Time) *dServer {
	for _, d := range s.w.Dedibox {
		if d.ID == id && s.dVisible(d, now) {
			return d
		}
	}
	return nil
}

// serviceFromPath finds a service by {service_id} or {ordered_service_id}:
// both name the same service here (the order is the service until delivery).
// Services are scoped like servers, to the path zone's region (see
// serviceInZone).
func (s *Sim) serviceFromPath(r *http.Request, param string) (*dService, error) {
	zone, err := dediboxZone(r)
	if err != nil {
		return nil, err
	}
	id, err := pathUint(r, param)
	if err != nil {
		return nil, err
	}
	sv := s.findService(id)
	if sv == nil || sv.ProjectID != s.creds.ProjectID || !serviceInZone(sv, zone) {
		return nil, notFound("dedibox_service", itoa(id))
	}
	return sv, nil
}

// getService serves GetService, which the SDK sends as PATCH with {}: a read.
func (s *Sim) getService(r *http.Request, now time.Time) (any, error) {
	sv, err := s.serviceFromPath(r, "service_id")
	if err != nil {
		return nil, err
	}
	return s.serviceWire(sv, now), nil
}

func (s *Sim) getOrderedService(r *http.Request, now time.Time) (any, error) {
	sv, err := s.serviceFromPath(r, "ordered_service_id")
	if err != nil {
		return nil, err
	}
	return s.serviceWire(sv, now), nil
}

// serviceInZone reports whether sv is visible from zone. No recording says
// how the Dedibox API partitions services; every path names a zone and the
// Service object carries none, so the zone is a routing scope. The scope
// chosen is the one servers already have here, the zone's region: an order
// may name any datacenter of its zone's region, and the client then follows
// it from the zone it ordered in (inferred).
func serviceInZone(sv *dService, zone string) bool {
	return regionOf(sv.Zone) == regionOf(zone)
}

func (s *Sim) listServices(r *http.Request, now time.Time) (any, error) {
	zone, err := dediboxZone(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	var all []dServiceW
	for _, sv := range s.w.Services {
		if !serviceInZone(sv, zone) || q.Get("project_id") != "" && q.Get("project_id") != sv.ProjectID {
			continue
		}
		all = append(all, s.serviceWire(sv, now))
	}
	if q.Get("order_by") == "created_at_desc" {
		slices.Reverse(all)
	}
	lo, hi, err := page(r, len(all))
	if err != nil {
		return nil, err
	}
	return map[string]any{"services": nonNil(all[lo:hi]), "total_count": len(all)}, nil
}
