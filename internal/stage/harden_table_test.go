package stage

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/sim/proxmox"
)

// exposureTable is the README's table for inventory path, measured on the
// simulator after up: every port of the first host, what a stranger, the
// operator in access.allowedSources and another host on the VLAN reach;
// and what a stranger reaches without allowedSources.
func exposureTable(t *testing.T, path string) string {
	t.Helper()
	tw := newTestWorld(t, path)
	rep, err := tw.up(Harden)
	requireClean(t, rep, err)
	host := tw.Env.Layout().Hosts[0].Name
	peer := tw.Env.Layout().Hosts[1].PrivateAddress.String()
	look := func(src string) proxmox.Exposure {
		ex, err := tw.World.Proxmox.Exposure(src, host)
		if err != nil {
			t.Fatal(err)
		}
		return ex
	}
	noSources := look(strangerSource)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.LoadBytes(path, append(data, []byte("access:\n  allowedSources: [203.0.113.0/24]\n")...), "../../inventories")
	if err != nil {
		t.Fatal(err)
	}
	tw.Env = newEnvFor(t, tw, inv)
	rep, err = tw.up(Harden)
	requireClean(t, rep, err)
	stranger, operator, private := look(strangerSource), look(operatorSource), look(peer)
	verdict := func(ex proxmox.Exposure, port, proto string) string {
		if !slices.Contains(ex.Accepts, port+"/"+proto) {
			for _, p := range ex.Ports {
				if p.Port == port && p.Proto == proto {
					return "no (" + strings.ToLower(p.Verdict) + ")"
				}
			}
			return "no (not listening there)"
		}
		if port == "22" {
			return "yes, keys only"
		}
		return "yes"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| %s, host %s | stranger, no allowedSources | stranger, allowedSources set | operator in allowedSources | host on the VLAN |\n|---|---|---|---|---|\n", path[strings.LastIndex(path, "/")+1:], host)
	for _, p := range private.Ports {
		fmt.Fprintf(&b, "| %s/%s %s | %s | %s | %s | %s |\n", p.Port, p.Proto, p.Service,
			verdict(noSources, p.Port, p.Proto), verdict(stranger, p.Port, p.Proto), verdict(operator, p.Port, p.Proto), verdict(private, p.Port, p.Proto))
	}
	if !slices.Equal(noSources.Accepts, []string{"22/tcp"}) || len(stranger.Accepts) != 0 || !slices.Equal(operator.Accepts, []string{"22/tcp", "8006/tcp"}) {
		t.Errorf("%s: stranger %v / %v, operator %v", path, noSources.Accepts, stranger.Accepts, operator.Accepts)
	}
	return b.String()
}

// TestHardenExposureTable measures the README's exposure table on lab and
// prod-3az (TRIPOD_EXPOSURE_TABLE=1 prints it).
func TestHardenExposureTable(t *testing.T) {
	for _, path := range []string{"../../inventories/lab.yaml", "../../inventories/prod-3az.yaml"} {
		table := exposureTable(t, path)
		if os.Getenv("TRIPOD_EXPOSURE_TABLE") != "" {
			fmt.Println(table)
		}
	}
}
