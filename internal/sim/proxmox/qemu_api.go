package proxmox

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

func (c *Cluster) qemuRoutes() []route {
	vmPath := "/nodes/{node}/qemu/{vmid}"
	return []route{
		{"GET /nodes/{node}/qemu", false, permAll, spec("full"), c.listVMs},
		{"POST /nodes/{node}/qemu", true, privCheck("/vms/{vmid}", "VM.Allocate"), qemuSpec(), c.createVM},
		{"GET " + vmPath + "/config", false, privCheck("/vms/{vmid}", "VM.Audit"), spec("current", "snapshot"), c.getVMConfig},
		{"POST " + vmPath + "/config", true, privCheck("/vms/{vmid}", "VM.Config.Options"), qemuSpec(), c.updateVMConfigAsync},
		{"PUT " + vmPath + "/config", true, privCheck("/vms/{vmid}", "VM.Config.Options"), qemuSpec(), c.updateVMConfig},
		{"GET " + vmPath + "/pending", false, privCheck("/vms/{vmid}", "VM.Audit"), spec(), c.vmPending},
		{"GET " + vmPath + "/status/current", false, privCheck("/vms/{vmid}", "VM.Audit"), spec(), c.vmCurrent},
		{"POST " + vmPath + "/status/start", true, privCheck("/vms/{vmid}", "VM.PowerMgmt"),
			spec("force-cpu", "machine", "migratedfrom", "migration_network", "migration_type", "nets-host-mtu", "skiplock", "stateuri", "targetstorage", "timeout", "with-conntrack-state"), c.vmStart},
		{"POST " + vmPath + "/status/stop", true, privCheck("/vms/{vmid}", "VM.PowerMgmt"), spec("keepActive", "migratedfrom", "overrule-shutdown", "skiplock", "timeout"), c.vmStopAPI("qmstop")},
		{"POST " + vmPath + "/status/shutdown", true, privCheck("/vms/{vmid}", "VM.PowerMgmt"), spec("forceStop", "keepActive", "skiplock", "timeout"), c.vmStopAPI("qmshutdown")},
		{"DELETE " + vmPath, true, privCheck("/vms/{vmid}", "VM.Allocate"), spec("destroy-unreferenced-disks", "purge", "skiplock"), c.vmDestroy},
		{"PUT " + vmPath + "/resize", true, privCheck("/vms/{vmid}", "VM.Config.Disk"), spec("disk!", "size!", "digest", "skiplock"), c.vmResize},
	}
}

// findVM is the config lookup qemu-server does on the node a path names.
func findVM(q *call) (*vm, *apiError) {
	id, _ := strconv.Atoi(q.r.PathValue("vmid"))
	v := q.node.db.VMs[id]
	if v == nil || v.Node != q.node.Info.Hostname {
		return nil, errf("Configuration file 'nodes/%s/qemu-server/%s.conf' does not exist", q.node.Info.Hostname, q.r.PathValue("vmid"))
	}
	return v, nil
}

func (c *Cluster) vmResource(v *vm) map[string]any {
	e := map[string]any{"id": "qemu/" + strconv.Itoa(v.VMID), "type": "qemu", "vmid": v.VMID, "name": v.Conf["name"],
		"node": v.Node, "status": v.Status, "template": 0, "maxcpu": v.cpus(), "maxmem": int64(v.memoryMiB()) << 20,
		"maxdisk": v.bootDiskBytes(), "mem": 0, "cpu": 0, "disk": 0, "diskread": 0, "diskwrite": 0, "netin": 0, "netout": 0, "uptime": 0}
	if !c.online(v.Node) {
		e["status"] = "unknown"
	} else if v.Status == "running" {
		e["uptime"] = int64(c.env.Now().Sub(v.Started).Seconds())
		e["mem"], e["cpu"] = int64(v.memoryMiB())<<19, 0.02
	}
	if t := v.Conf["tags"]; t != "" {
		e["tags"] = t
	}
	if v.Lock != "" {
		e["lock"] = v.Lock
	}
	return e
}

func (c *Cluster) listVMs(q *call) (any, error) {
	out := []map[string]any{}
	for _, id := range q.node.db.vmIDs() {
		if v := q.node.db.VMs[id]; v.Node == q.node.Info.Hostname {
			e := c.vmResource(v)
			delete(e, "id")
			delete(e, "type")
			delete(e, "node")
			e["cpus"] = v.cpus()
			out = append(out, e)
		}
	}
	return out, nil
}

func (c *Cluster) getVMConfig(q *call) (any, error) {
	v, aerr := findVM(q)
	if aerr != nil {
		return nil, aerr
	}
	return v.configJSON(), nil
}

// updateVMConfig is PUT .../config: applied at once. The simulator applies
// every change immediately, also on a running guest, so nothing is pending.
func (c *Cluster) updateVMConfig(q *call) (any, error) {
	v, aerr := findVM(q)
	if aerr != nil {
		return nil, aerr
	}
	if d := q.str("digest"); d != "" && d != v.digest() {
		return nil, errf("detected modified configuration - file changed by other user? Try again.")
	}
	if v.Lock != "" && !q.boolOr("skiplock", false) {
		return nil, errf("VM is locked (%s)", v.Lock)
	}
	before := v.memoryMiB()
	for _, k := range strings.FieldsFunc(q.str("delete"), func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		delete(v.Conf, k)
	}
	if aerr := c.setConfig(q.node, v, q, false); aerr != nil {
		return nil, aerr
	}
	if aerr := c.checkMemory(q.node, v, before); aerr != nil {
		return nil, aerr
	}
	return nil, nil
}

func (c *Cluster) updateVMConfigAsync(q *call) (any, error) {
	if _, err := c.updateVMConfig(q); err != nil {
		return nil, err
	}
	return c.newTask(q.node, "qmconfig", q.r.PathValue("vmid"), q.who, simcore.OpPVETask).UPID, nil
}

func (c *Cluster) vmPending(q *call) (any, error) {
	v, aerr := findVM(q)
	if aerr != nil {
		return nil, aerr
	}
	out := []map[string]any{}
	for k, val := range v.configJSON() {
		if k != "digest" {
			out = append(out, map[string]any{"key": k, "value": val})
		}
	}
	return out, nil
}

// vmStart is POST .../status/start; failures (a one-shot vm-start-fail
// fault, a bridge that is not up) are the qmstart task's.
func (c *Cluster) vmStart(q *call) (any, error) {
	v, aerr := findVM(q)
	if aerr != nil {
		return nil, aerr
	}
	if v.Lock != "" && !q.boolOr("skiplock", false) {
		return nil, errf("VM is locked (%s)", v.Lock)
	}
	t := c.newTask(q.node, "qmstart", strconv.Itoa(v.VMID), q.who, simcore.OpVMStart)
	t.Kind, t.Args = "qmstart", map[string]string{"vmid": strconv.Itoa(v.VMID)}
	switch {
	case v.Status == "running":
		t.fail(fmt.Sprintf("VM %d already running", v.VMID))
	case c.env.Faults.TakeOneShot("vm-start-fail", v.Conf["name"], strconv.Itoa(v.VMID)):
		t.logf("kvm: -drive file=/dev/rbd-pve/%d: Could not open: Input/output error", v.VMID)
		t.fail("start failed: QEMU exited with code 1")
	default:
		if msg := c.bridgeError(q.node, v); msg != "" {
			t.fail(msg)
		}
	}
	return t.UPID, nil
}

// bridgeError is what tap_plug dies with when a NIC's bridge is not up.
func (c *Cluster) bridgeError(n *node, v *vm) string {
	for k, val := range v.Conf {
		if !strings.HasPrefix(k, "net") || strings.HasPrefix(k, "numa") {
			continue
		}
		_, opts := propString(val)
		if b := opts["bridge"]; b != "" && (!n.Net.active(b) || n.Net.Running[b].Type != "bridge") {
			return "bridge '" + b + "' does not exist"
		}
	}
	return ""
}

func (c *Cluster) applyVMStart(n *node, t *task) {
	id, _ := strconv.Atoi(t.Args["vmid"])
	if v := n.db.VMs[id]; v != nil && v.Status != "running" {
		c.startVM(v)
	}
}

// startVM marks a VM running and tells the world (the Talos simulator).
func (c *Cluster) startVM(v *vm) {
	v.Status, v.Started = "running", c.env.Now()
	if hook := c.OnVMStarted; hook != nil {
		info := c.vmInfo(v)
		c.queue(func() { hook(info) })
	}
}

func (c *Cluster) stopVM(v *vm) {
	if v.Status != "running" {
		return
	}
	v.Status = "stopped"
	c.vmGone(v)
}

func (c *Cluster) vmGone(v *vm) {
	if hook := c.OnVMStopped; hook != nil {
		node, id, ip := v.Node, v.VMID, c.vmInfo(v).IPCIDR
		c.queue(func() { hook(node, id, ip) })
	}
}

func (c *Cluster) vmStopAPI(typ string) apiFunc {
	return func(q *call) (any, error) {
		v, aerr := findVM(q)
		if aerr != nil {
			return nil, aerr
		}
		t := c.newTask(q.node, typ, strconv.Itoa(v.VMID), q.who, simcore.OpPVETask)
		t.Kind, t.Args = "qmstop", map[string]string{"vmid": strconv.Itoa(v.VMID)}
		return t.UPID, nil
	}
}

func (c *Cluster) applyVMStop(n *node, t *task) {
	id, _ := strconv.Atoi(t.Args["vmid"])
	if v := n.db.VMs[id]; v != nil {
		c.stopVM(v)
	}
}

func (c *Cluster) vmDestroy(q *call) (any, error) {
	v, aerr := findVM(q)
	if aerr != nil {
		return nil, aerr
	}
	if v.Status == "running" {
		return nil, errf("VM %d is running - destroy failed", v.VMID)
	}
	if v.Conf["protection"] == "1" {
		return nil, errf("can't remove VM %d - protection mode enabled", v.VMID)
	}
	t := c.newTask(q.node, "qmdestroy", strconv.Itoa(v.VMID), q.who, simcore.OpPVETask)
	t.Kind, t.Args = "qmdestroy", map[string]string{"vmid": strconv.Itoa(v.VMID)}
	return t.UPID, nil
}

func (c *Cluster) applyVMDestroy(n *node, t *task) {
	id, _ := strconv.Atoi(t.Args["vmid"])
	if v := n.db.VMs[id]; v != nil {
		delete(n.db.VMs, id)
		c.vmGone(v)
		if hook := c.OnVMDestroyed; hook != nil {
			node, ip := v.Node, c.vmInfo(v).IPCIDR
			c.queue(func() { hook(node, id, ip) })
		}
	}
}

// vmResize is PUT .../resize: "+10G" grows by, "50G" grows to; never shrinks.
func (c *Cluster) vmResize(q *call) (any, error) {
	v, aerr := findVM(q)
	if aerr != nil {
		return nil, aerr
	}
	key := q.str("disk")
	vol, opts := propString(v.Conf[key])
	if !isDriveKey(key) || vol == "" || opts["media"] == "cdrom" {
		return nil, errf("disk '%s' does not exist", key)
	}
	cur, size := sizeBytes(opts["size"]), q.str("size")
	want := sizeBytes(strings.TrimPrefix(size, "+"))
	if strings.HasPrefix(size, "+") {
		want += cur
	}
	if want < cur {
		return nil, errf("shrinking disks is not supported")
	}
	v.Conf[key] = vol + stripSize(strings.TrimPrefix(v.Conf[key], vol)) + ",size=" + formatSize(want)
	return c.newTask(q.node, "qmresize", strconv.Itoa(v.VMID), q.who, simcore.OpPVETask).UPID, nil
}

// GuestPoweredOff marks the running VM whose cloud-init address is ip (with
// or without its prefix) as stopped: the guest turned itself off, as QEMU
// exiting does for a real VM when a Talos node is reset without a reboot.
// OnVMStopped is not called: the guest's side is where it came from.
func (c *Cluster) GuestPoweredOff(ip string) {
	unlock := c.lockSettled()
	defer unlock()
	ip, _, _ = strings.Cut(ip, "/")
	for _, n := range c.nodes {
		for _, v := range n.db.VMs {
			if v.Status != "running" || v.Node != n.Info.Hostname {
				continue
			}
			if addr, _, _ := strings.Cut(c.vmInfo(v).IPCIDR, "/"); addr == ip {
				v.Status = "stopped"
			}
		}
	}
}
