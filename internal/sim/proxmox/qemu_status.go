package proxmox

import (
	"strconv"
	"strings"
	"time"
)

// vmCurrent is GET .../status/current, with the runtime detail a running
// guest's QMP would give (block stats per drive, NIC counters, balloon info
// when ballooning is on, SPICE when the display is qxl).
func (c *Cluster) vmCurrent(q *call) (any, error) {
	v, aerr := findVM(q)
	if aerr != nil {
		return nil, aerr
	}
	maxmem := int64(v.memoryMiB()) << 20
	out := map[string]any{"vmid": v.VMID, "name": v.Conf["name"], "status": v.Status, "qmpstatus": v.Status,
		"cpus": v.cpus(), "maxmem": maxmem, "maxdisk": v.bootDiskBytes(), "mem": 0, "cpu": 0, "disk": 0,
		"diskread": 0, "diskwrite": 0, "netin": 0, "netout": 0, "uptime": 0, "ha": map[string]any{"managed": 0}}
	if first, opts := propString(v.Conf["agent"]); first == "1" || opts["enabled"] == "1" {
		out["agent"] = 1
	}
	if t := v.Conf["tags"]; t != "" {
		out["tags"] = t
	}
	if v.Lock != "" {
		out["lock"] = v.Lock
	}
	if v.Status == "running" {
		runtimeStatus(v, out, q.now.Sub(v.Started))
	}
	return out, nil
}

// runtimeStatus adds what QMP reports for a running guest.
func runtimeStatus(v *vm, out map[string]any, uptime time.Duration) {
	maxmem := int64(v.memoryMiB()) << 20
	used := maxmem / 2
	out["pid"] = 100000 + v.VMID
	out["uptime"] = int64(uptime.Seconds())
	out["mem"], out["cpu"], out["shares"] = used, 0.015, 1000
	machine := v.Conf["machine"]
	if machine == "" || machine == "pc" {
		machine = "pc-i440fx-9.2+pve1"
	} else if machine == "q35" {
		machine = "pc-q35-9.2+pve1"
	}
	out["running-machine"], out["running-qemu"] = machine, "9.2.0"
	out["proxmox-support"] = map[string]any{"pbs-dirty-bitmap": true, "pbs-dirty-bitmap-migration": true, "pbs-dirty-bitmap-savevm": true,
		"pbs-library-version": "1.5.1 (UNKNOWN)", "pbs-masterkey": true, "query-bitmap-info": true, "backup-max-workers": true}
	nics := map[string]any{}
	for k := range v.Conf {
		if i, ok := strings.CutPrefix(k, "net"); ok {
			if _, err := strconv.Atoi(i); err == nil {
				nics["tap"+strconv.Itoa(v.VMID)+"i"+i] = map[string]any{"netin": 0, "netout": 0}
			}
		}
	}
	out["nics"] = nics
	block := map[string]any{}
	for _, d := range v.disks() {
		block[d.key] = map[string]any{"rd_bytes": 0, "wr_bytes": 0, "rd_operations": 0, "wr_operations": 0,
			"flush_operations": 0, "account_failed": true, "account_invalid": true, "timed_stats": []any{}}
	}
	out["blockstat"] = block
	if v.Conf["balloon"] != "0" {
		out["balloon"], out["balloon_min"], out["freemem"] = maxmem, maxmem, maxmem-used
		out["ballooninfo"] = map[string]any{"actual": maxmem, "max_mem": maxmem, "free_mem": maxmem - used,
			"total_mem": maxmem - 64<<20, "last_update": v.Started.Add(uptime).Unix(), "major_page_faults": 0, "minor_page_faults": 0,
			"mem_swapped_in": 0, "mem_swapped_out": 0}
	}
	if strings.HasPrefix(v.Conf["vga"], "qxl") {
		out["spice"] = 1
	}
}

// imageVolumes lists VM disks on a storage, as storage content shows them:
// every node sees a shared storage's, only its own for local ones.
func (c *Cluster) imageVolumes(n *node, s *storageCfg, vmid int) []map[string]any {
	out := []map[string]any{}
	for _, id := range n.db.vmIDs() {
		v := n.db.VMs[id]
		if (vmid != 0 && id != vmid) || (!s.shared() && v.Node != n.Info.Hostname) {
			continue
		}
		for _, d := range v.disks() {
			if strings.HasPrefix(d.volid, s.ID+":") {
				out = append(out, map[string]any{"volid": d.volid, "format": "raw", "content": "images", "size": d.size, "vmid": id})
			}
		}
	}
	return out
}

// imagesBytes sums the disks a storage holds for the node's view.
func (c *Cluster) imagesBytes(n *node, sid string) int64 {
	s := n.db.Storage[sid]
	if s == nil {
		return 0
	}
	var total int64
	for _, e := range c.imageVolumes(n, s, 0) {
		total += e["size"].(int64)
	}
	return total
}
