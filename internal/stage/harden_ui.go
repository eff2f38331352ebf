package stage

import (
	"errors"
	"fmt"
)

// HostAPIAddress is host's Proxmox API and UI as tripod's own calls reach
// it: its public address's 8006, which with access.via ssh the dialer
// takes through that host's SSH (the firewall keeps 8006 from the internet
// unless access.allowedSources opens it). It needs a run that found the
// hosts (any stage from os on, a dry run included).
func (e *Env) HostAPIAddress(host string) (string, error) {
	f := e.builtFleet.Load()
	if f == nil {
		return "", errors.New("no run has found the hosts yet")
	}
	ep, err := f.Endpoint(host)
	if err != nil {
		return "", fmt.Errorf("failed to find %s's Proxmox API: %w", host, err)
	}
	return ep.APIAddress(), nil
}
