package scaleway

import (
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// Dedibox status machines, computed from start times:
//
//	service: delivering --OpServiceReady--> ready (carries resource_id);
//	         expiring once the server's deletion is asked, expired once gone
//	server:  delivering --OpServerDelivery--> ready (visible once the service is ready)
//	install: booting, setting_up_raid, partitioning, formatting, installing,
//	         configuring, configuring_bootloader, rebooting --OpOSInstall--> installed;
//	         the server is "installing" meanwhile. With the one-shot fault the
//	         install stops after "installing": install status "unknown" (the
//	         enum has no error value, and the SDK's wait treats unknown as
//	         terminal) and server status "error". A new install is allowed.
//	delete:  busy --OpServerDelete--> gone (typed not_found)

// installPhases and their weights: writing the system takes longest.
var installPhases = []struct {
	name   string
	weight int
}{
	{"booting", 1}, {"setting_up_raid", 1}, {"partitioning", 1}, {"formatting", 1},
	{"installing", 4}, {"configuring", 1}, {"configuring_bootloader", 1}, {"rebooting", 1},
}

// failAfter is the number of phases an install with the fault gets through.
const failAfter = 5

func (s *Sim) serviceReadyAt(sv *dService) time.Time {
	return sv.ReadyFrom.Add(s.env.Delay(simcore.OpServiceReady, "service/"+itoa(sv.ID)))
}

func (s *Sim) serviceStatus(sv *dService, now time.Time) string {
	switch {
	case sv.Expired:
		return "expired"
	case sv.Terminated != nil:
		return "expiring"
	case !now.Before(s.serviceReadyAt(sv)):
		return "ready"
	}
	return "delivering"
}

func (s *Sim) findService(id uint64) *dService {
	for _, sv := range s.w.Services {
		if sv.ID == id {
			return sv
		}
	}
	return nil
}

// dVisible reports whether the client can see the server yet.
func (s *Sim) dVisible(d *dServer, now time.Time) bool {
	sv := s.findService(d.ServiceID)
	return sv == nil || !now.Before(s.serviceReadyAt(sv))
}

func (s *Sim) dDelivered(d *dServer, now time.Time) bool {
	return s.env.Done(d.DeliverFrom, simcore.OpServerDelivery, d.key())
}

func (s *Sim) dInstallKey(d *dServer) string { return d.key() + "/install/" + itoa(d.Install.Run) }

// dInstallStatus walks the phases of the current install at now.
func (s *Sim) dInstallStatus(d *dServer, now time.Time) string {
	in := d.Install
	total := s.env.Delay(simcore.OpOSInstall, s.dInstallKey(d))
	weights := 0
	for _, p := range installPhases {
		weights += p.weight
	}
	elapsed, acc := now.Sub(in.StartedAt), 0
	for i, p := range installPhases {
		if in.Fail && i == failAfter {
			return "unknown"
		}
		acc += p.weight
		if elapsed < time.Duration(float64(total)*float64(acc)/float64(weights)) {
			return p.name
		}
	}
	return "installed"
}

func (s *Sim) dStatus(d *dServer, now time.Time) string {
	switch {
	case d.DeletedAt != nil:
		return "busy"
	case !s.dDelivered(d, now):
		return "delivering"
	case d.Install != nil:
		switch st := s.dInstallStatus(d, now); {
		case st == "unknown":
			return "error"
		case st != "installed":
			return "installing"
		}
	}
	switch {
	case d.Stopped:
		return "stopped"
	case d.RebootAt != nil && !s.env.Done(*d.RebootAt, simcore.OpServerDelivery, d.key()+"/reboot"):
		return "busy"
	}
	return "ready"
}

// advanceDedibox settles finished installs (firing OnInstalled for Proxmox
// VE) and removes servers whose termination is complete.
func (s *Sim) advanceDedibox(now time.Time) {
	kept := s.w.Dedibox[:0]
	for _, d := range s.w.Dedibox {
		if d.DeletedAt != nil && s.env.Done(*d.DeletedAt, simcore.OpServerDelete, d.key()) {
			if sv := s.findService(d.ServiceID); sv != nil {
				sv.Expired = true
			}
			s.dropRPNMemberships(d.ID, now)
			if s.OnRemoved != nil {
				s.OnRemoved(itoa(d.ID), d.IPv4)
			}
			continue
		}
		kept = append(kept, d)
		in := d.Install
		if in == nil || in.Notified || d.DeletedAt != nil {
			continue
		}
		switch s.dInstallStatus(d, now) {
		case "installed":
			in.Notified, d.OSID = true, in.OSID
			if os, _ := dOSByID(in.OSID); os.Proxmox && s.OnInstalled != nil {
				s.OnInstalled(s.dHostInfo(d))
			}
		case "unknown":
			in.Notified = true
		}
	}
	s.w.Dedibox = kept
}

// dInstalledAt is when the current install ended.
func (s *Sim) dInstalledAt(d *dServer) time.Time {
	return d.Install.StartedAt.Add(s.env.Delay(simcore.OpOSInstall, s.dInstallKey(d)))
}
