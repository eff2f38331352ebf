package stage

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	pve "github.com/Telmate/proxmox-api-go/proxmox"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

// vmDrift is how an adopted VM's configuration differs from the layout's:
// what can be set without losing data (upd, resize) and what cannot (warn).
type vmDrift struct {
	upd     pve.ConfigQemu
	changes []string
	resize  string // the disk's new size, "" when it is right
	warn    []string
}

// fixDrift compares the VM's configuration (with pending changes, as the
// API shows it by default) to the layout's and sets what may be set: CPU,
// memory and ballooning, tags, cloud-init (Proxmox keeps what needs a
// restart pending; tripod does not restart Talos nodes), and a disk that
// grows. Anything else (a disk to shrink or move, another machine type,
// firmware or controller) is reported, not forced.
func (e *Env) fixDrift(ctx context.Context, st *run.Step, c *proxmox.Client, vm inventory.VMPlan, node string) error {
	conf, err := c.ReadMap(ctx, fmt.Sprintf("/nodes/%s/qemu/%d/config", node, vm.VMID))
	if err != nil {
		return err
	}
	d := e.vmDrift(vm, conf)
	for _, w := range d.warn {
		st.Warn("VM %d %s: %s; tripod does not change that on an existing VM (it would lose data or stop it from booting)", vm.VMID, vm.Name, w)
	}
	ref := vmRef(vm, node)
	if len(d.changes) > 0 {
		m := run.Mutation{API: "proxmox", Verb: "update", Object: fmt.Sprintf("VM %d %s", vm.VMID, vm.Name), Detail: strings.Join(d.changes, "; "), Request: reqVMConfig}
		err := st.Mutate(ctx, m, func(ctx context.Context) error {
			api, err := c.Typed(ctx)
			if err != nil {
				return err
			}
			// One PUT of the config (a change without disks, pool or HA
			// makes Telmate send nothing else); PUT is safe to repeat.
			restart, err := d.upd.Update(ctx, false, ref, api)
			if err == nil && restart {
				st.Warn("VM %d %s: %s takes effect at its next restart", vm.VMID, vm.Name, m.Detail)
			}
			return err
		})
		if !sentOrPlanned(err) {
			return err
		}
	}
	if d.resize == "" {
		return nil
	}
	m := run.Mutation{API: "proxmox", Verb: "resize", Object: fmt.Sprintf("disk scsi0 of VM %d %s", vm.VMID, vm.Name), Detail: "to " + d.resize, Request: reqVMResize}
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		release, err := st.Acquire(ctx, "proxmox-node:"+node)
		if err != nil {
			return err
		}
		defer release()
		api, err := c.Typed(ctx)
		if err == nil {
			_, err = api.ResizeQemuDiskRaw(ctx, ref, "scsi0", d.resize)
		}
		return err
	})
}

// vmDrift compares a raw configuration to the layout's VM.
func (e *Env) vmDrift(vm inventory.VMPlan, conf map[string]any) vmDrift {
	want := e.vmConfig(vm)
	var d vmDrift
	change := func(what string, have, want any) {
		d.changes = append(d.changes, fmt.Sprintf("%s %v, want %v", what, have, want))
	}
	if cores, cpu := int(num(conf["cores"])), cpuType(str(conf["cpu"])); cores != vm.Cores || cpu != "host" {
		d.upd.CPU = want.CPU
		change("cores/cpu", fmt.Sprintf("%d/%s", cores, cpu), fmt.Sprintf("%d/host", vm.Cores))
	}
	if mem := memoryMiB(str(conf["memory"])); int64(mem) != vm.Memory.MiB() || str(conf["balloon"]) != "0" {
		d.upd.Memory = want.Memory
		change("memory/balloon", fmt.Sprintf("%d MiB/%s", mem, str(conf["balloon"])), fmt.Sprintf("%d MiB/0", vm.Memory.MiB()))
	}
	tags := strings.FieldsFunc(str(conf["tags"]), func(r rune) bool { return r == ';' || r == ',' || r == ' ' })
	for _, t := range e.vmTags(vm) {
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
			var all pve.Tags
			for _, x := range tags {
				all = append(all, pve.Tag(x))
			}
			d.upd.Tags = &all
			change("tags", conf["tags"], strings.Join(tags, ";"))
		}
	}
	if ip := e.wantIPConfig(vm); !sameProps(str(conf["ipconfig0"]), ip) || !sameFields(str(conf["nameserver"]), e.nameservers()) {
		d.upd.CloudInit = want.CloudInit
		change("cloud-init", fmt.Sprintf("%v %v", conf["ipconfig0"], conf["nameserver"]), ip+" "+e.nameservers())
	}
	e.diskDrift(&d, vm, str(conf["scsi0"]))
	e.hardwareDrift(&d, conf)
	return d
}

func (e *Env) diskDrift(d *vmDrift, vm inventory.VMPlan, scsi0 string) {
	vol, opts := splitProp(scsi0)
	storage, _, _ := strings.Cut(vol, ":")
	if vol == "" {
		d.warn = append(d.warn, "it has no scsi0 disk")
		return
	}
	if storage != e.Cluster().Proxmox.VMStorage {
		d.warn = append(d.warn, fmt.Sprintf("its disk is on storage %s, the inventory says %s", storage, e.Cluster().Proxmox.VMStorage))
	}
	have, want := sizeGiB(opts["size"]), vm.Disk.GiB()
	switch {
	case have < want:
		d.resize = strconv.FormatInt(want, 10) + "G"
	case have > want:
		d.warn = append(d.warn, fmt.Sprintf("its disk is %d GiB, the inventory says %d GiB (disks are not shrunk)", have, want))
	}
}

func (e *Env) hardwareDrift(d *vmDrift, conf map[string]any) {
	if m := str(conf["machine"]); m != "q35" && !strings.HasPrefix(m, "pc-q35") {
		d.warn = append(d.warn, fmt.Sprintf("its machine type is %q, not q35", m))
	}
	if b := str(conf["bios"]); b != "ovmf" {
		d.warn = append(d.warn, fmt.Sprintf("its firmware is %q, not ovmf", b))
	}
	if s := str(conf["scsihw"]); s != "virtio-scsi-pci" {
		d.warn = append(d.warn, fmt.Sprintf("its SCSI controller is %q, not virtio-scsi-pci", s))
	}
	model, opts := splitProp(str(conf["net0"]))
	if m, _, _ := cutEq(model); m != "virtio" || opts["bridge"] != e.Cluster().Network.Bridge {
		d.warn = append(d.warn, fmt.Sprintf("net0 is %q, not virtio on %s", conf["net0"], e.Cluster().Network.Bridge))
	}
}

func (e *Env) wantIPConfig(vm inventory.VMPlan) string {
	n := e.Cluster().Network
	return fmt.Sprintf("ip=%s/%d,gw=%s", vm.Address, n.Subnet.Bits(), vm.Gateway)
}

func (e *Env) nameservers() string {
	var out []string
	for _, a := range e.Cluster().Network.DNS {
		out = append(out, a.String())
	}
	return strings.Join(out, " ")
}

// splitProp splits a PVE property string "first,key=value,..." into its
// first element (when it has no "=") and its options.
func splitProp(s string) (string, map[string]string) {
	opts := map[string]string{}
	first := ""
	for i, p := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(p, "=")
		if i == 0 && (!ok || k == "virtio" || k == "e1000") {
			first = p
			continue
		}
		opts[k] = v
	}
	return first, opts
}

func cutEq(s string) (string, string, bool) { return strings.Cut(s, "=") }

// sameProps compares property strings option by option.
func sameProps(a, b string) bool {
	_, x := splitProp("," + a)
	_, y := splitProp("," + b)
	return fmt.Sprint(x) == fmt.Sprint(y)
}

func sameFields(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}

// cpuType reads "host" or "cputype=host,flags=..." ("" means kvm64).
func cpuType(s string) string {
	first, opts := splitProp(s)
	if t := opts["cputype"]; t != "" {
		return t
	}
	return first
}

// memoryMiB reads "4096" or "current=4096,...".
func memoryMiB(s string) int {
	s, _, _ = strings.Cut(strings.TrimPrefix(s, "current="), ",")
	n, _ := strconv.Atoi(s)
	return n
}

// sizeGiB reads PVE's size= ("40G", "512M", "1T"), rounded up to GiB.
func sizeGiB(s string) int64 {
	mult := map[byte]float64{'T': 1024, 'G': 1, 'M': 1.0 / 1024, 'K': 1.0 / (1024 * 1024)}
	if s == "" {
		return 0
	}
	m, ok := mult[s[len(s)-1]]
	if !ok {
		m, s = 1.0/(1<<30), s+"B"
	}
	f, _ := strconv.ParseFloat(s[:len(s)-1], 64)
	g := f * m
	if g != float64(int64(g)) {
		return int64(g) + 1
	}
	return int64(g)
}
