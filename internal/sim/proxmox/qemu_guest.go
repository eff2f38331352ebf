package proxmox

import (
	"net/netip"
	"strings"
)

// The read-only guest views other clients ask for after a bring-up: the
// snapshot tree and what the QEMU guest agent (in the Talos schematic)
// reports about the guest's interfaces.

func (c *Cluster) guestRoutes() []route {
	vmPath := "/nodes/{node}/qemu/{vmid}"
	return []route{
		{"GET " + vmPath + "/snapshot", false, privCheck("/vms/{vmid}", "VM.Audit"), spec(), c.vmSnapshots},
		{"GET " + vmPath + "/agent/network-get-interfaces", false, privCheck("/vms/{vmid}", "VM.Monitor"), spec(), c.vmAgentInterfaces},
	}
}

// vmSnapshots is the snapshot list of a VM without snapshots: qemu-server
// always appends the "current" pseudo-snapshot.
func (c *Cluster) vmSnapshots(q *call) (any, error) {
	v, aerr := findVM(q)
	if aerr != nil {
		return nil, aerr
	}
	running := 0
	if v.Status == "running" {
		running = 1
	}
	return []map[string]any{{"name": "current", "description": "You are here!", "running": running, "digest": v.digest()}}, nil
}

// vmAgentInterfaces is the guest agent's network-get-interfaces: the
// guest's loopback and its first NIC with the static address cloud-init
// gave it. The agent answers only in a running guest that has it enabled.
func (c *Cluster) vmAgentInterfaces(q *call) (any, error) {
	v, aerr := findVM(q)
	if aerr != nil {
		return nil, aerr
	}
	if first, opts := propString(v.Conf["agent"]); first != "1" && opts["enabled"] != "1" {
		return nil, errf("No QEMU guest agent configured")
	}
	if v.Status != "running" {
		return nil, errf("VM %d is not running", v.VMID)
	}
	lo := map[string]any{"name": "lo", "hardware-address": "00:00:00:00:00:00",
		"ip-addresses": []map[string]any{{"ip-address": "127.0.0.1", "ip-address-type": "ipv4", "prefix": 8}}}
	nic := map[string]any{"name": "ens18", "hardware-address": strings.ToLower(nicMAC(v.Conf["net0"]))}
	var addrs []map[string]any
	_, ipc := propString(v.Conf["ipconfig0"])
	if p, err := netip.ParsePrefix(ipc["ip"]); err == nil {
		addrs = append(addrs, map[string]any{"ip-address": p.Addr().String(), "ip-address-type": "ipv4", "prefix": p.Bits()})
	}
	nic["ip-addresses"] = addrs
	return map[string]any{"result": []map[string]any{lo, nic}}, nil
}

// nicMAC is the MAC address of a netN value ("virtio=BC:24:11:...,bridge=").
func nicMAC(net string) string {
	first, _, _ := strings.Cut(net, ",")
	if _, mac, ok := strings.Cut(first, "="); ok {
		return mac
	}
	return ""
}
