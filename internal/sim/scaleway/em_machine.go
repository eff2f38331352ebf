package scaleway

import (
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// Elastic Metal status machines, all computed from start times:
//
//	server:  ordered|delivering --OpServerDelivery--> ready
//	install: to_install --8%--> installing --OpOSInstall--> completed
//	         (with the one-shot fault: installing --60%--> error)
//	power:   stopping -> stopped, starting -> ready (a twentieth of a delivery)
//	delete:  deleting --OpServerDelete--> gone (then the recorded 404)
const (
	toInstallShare = 0.08
	failShare      = 0.6
)

func (s *Sim) emDeliveredAt(e *emServer) time.Time {
	return e.DeliverFrom.Add(s.env.Delay(simcore.OpServerDelivery, e.key()))
}

func (s *Sim) emDelivered(e *emServer, now time.Time) bool {
	return !now.Before(s.emDeliveredAt(e))
}

func (s *Sim) emStatus(e *emServer, now time.Time) string {
	o, _ := emOfferByID(e.OfferID)
	switch {
	case e.DeletedAt != nil:
		return "deleting"
	case !s.emDelivered(e, now):
		if o.legacy() {
			return "delivering"
		}
		return "ordered"
	case e.Power == nil:
		return "ready"
	}
	settled := !now.Before(e.Power.At.Add(s.env.Delay(simcore.OpServerDelivery, e.key()) / 20))
	switch {
	case e.Power.Kind == "stop" && settled:
		return "stopped"
	case e.Power.Kind == "stop":
		return "stopping"
	case settled:
		return "ready"
	}
	return "starting"
}

func (s *Sim) emInstallKey(e *emServer) string { return e.key() + "/install/" + itoa(e.Install.Run) }

// emInstallTimes returns when the install leaves to_install and when it ends
// (completed, or error with the fault). An install waits for delivery.
func (s *Sim) emInstallTimes(e *emServer) (installing, end time.Time) {
	begin := e.Install.RequestedAt
	if d := s.emDeliveredAt(e); d.After(begin) {
		begin = d
	}
	total := s.env.Delay(simcore.OpOSInstall, s.emInstallKey(e))
	share := 1.0
	if e.Install.Fail {
		share = failShare
	}
	return begin.Add(time.Duration(float64(total) * toInstallShare)), begin.Add(time.Duration(float64(total) * share))
}

func (s *Sim) emInstallStatus(e *emServer, now time.Time) string {
	installing, end := s.emInstallTimes(e)
	switch {
	case !now.Before(end) && e.Install.Fail:
		return "error"
	case !now.Before(end):
		return "completed"
	case !now.Before(installing):
		return "installing"
	}
	return "to_install"
}

// emProvisionedAt is when the server got its domain, reverse DNS and an
// answer to ping: at delivery for the older offers (recorded 2025-07), when
// the install starts for the newer ones (recorded 2025-10 and 2025-12).
func (s *Sim) emProvisionedAt(e *emServer) (time.Time, bool) {
	if o, _ := emOfferByID(e.OfferID); o.legacy() {
		return s.emDeliveredAt(e), true
	}
	if e.Install == nil {
		return time.Time{}, false
	}
	at, _ := s.emInstallTimes(e)
	return at, true
}

func (s *Sim) emPingStatus(e *emServer, now time.Time) string {
	at, ok := s.emProvisionedAt(e)
	switch {
	case !s.env.Reachable(simcore.Outside, simcore.At(e.Zone)), s.emStatus(e, now) == "stopped":
		return "ping_status_down"
	case ok && !now.Before(at):
		return "ping_status_up"
	}
	return "ping_status_unknown"
}

// advanceEM fires OnInstalled for Proxmox installs that completed and removes
// deleted servers whose deletion finished.
func (s *Sim) advanceEM(now time.Time) {
	kept := s.w.EM[:0]
	for _, e := range s.w.EM {
		if e.DeletedAt != nil && s.env.Done(*e.DeletedAt, simcore.OpServerDelete, e.key()) {
			s.dropEMAttachments(e.ID)
			if s.OnRemoved != nil {
				s.OnRemoved(e.ID, e.IPv4)
			}
			continue
		}
		kept = append(kept, e)
		in := e.Install
		if in == nil || in.Notified || e.DeletedAt != nil {
			continue
		}
		switch s.emInstallStatus(e, now) {
		case "completed":
			in.Notified = true
			if os, _ := emOSByID(in.OSID); os.Proxmox && s.OnInstalled != nil {
				s.OnInstalled(s.emHostInfo(e))
			}
		case "error":
			in.Notified = true
		}
	}
	s.w.EM = kept
}

func (s *Sim) dropEMAttachments(serverID string) {
	kept := s.w.PNs[:0]
	for _, p := range s.w.PNs {
		if p.ServerID != serverID {
			kept = append(kept, p)
		}
	}
	s.w.PNs = kept
}
