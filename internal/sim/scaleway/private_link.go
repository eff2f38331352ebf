package scaleway

import "strconv"

// PrivateLinkUp reports whether a server (Scaleway ID: Dedibox decimal,
// Elastic Metal UUID) has its private network leg: an active member of an
// RPNv2 group, or an attached Elastic Metal private network. The world asks
// it before a host's sshd forwards onto the VLAN.
func (s *Sim) PrivateLinkUp(serverID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.env.Now()
	if id, err := strconv.ParseUint(serverID, 10, 64); err == nil {
		for _, g := range s.w.Groups {
			if g.DeletedAt != nil {
				continue
			}
			for _, m := range g.Members {
				if m.ServerID == id && s.memberStatus(m) == "active" {
					return true
				}
			}
		}
	}
	for _, p := range s.w.PNs {
		if p.ServerID == serverID && s.pnStatus(p, now) == "attached" {
			return true
		}
	}
	return false
}
