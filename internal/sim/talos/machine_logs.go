package talos

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/common"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/version"
)

// Logs streams a service's log (talosctl logs <service>): the lines of the
// services the node runs (ServiceList's), from what the simulation did:
// machined's own log, etcd's real log from the embedded member, and the
// start of the others. tail_lines < 0 is everything; follow keeps the
// stream open and sends lines as they are written.
func (a *machineAPI) Logs(req *machine.LogsRequest, srv machine.MachineService_LogsServer) error {
	n := a.n
	if req.Namespace != constants.SystemContainerdNamespace {
		// Container logs of pods (talosctl logs -k) need the CRI, which the
		// simulator does not run.
		return n.unmodelled("/machine.MachineService/Logs (namespace " + req.Namespace + ")")
	}
	lines := func() []string { return n.serviceLog(req.Id) }
	if !req.Follow && lines() == nil {
		return fmt.Errorf("log %q was not registered", req.Id)
	}
	send := func(line string) error { return srv.Send(&common.Data{Bytes: []byte(line + "\n")}) }
	return n.streamLines(srv.Context(), lines, int(req.TailLines), req.Follow, send)
}

// Dmesg streams the kernel's ring buffer as talosctl dmesg prints it: the
// boot messages for this VM's hardware and machined's own lines. tail sends
// only what comes after the call (with follow).
func (a *machineAPI) Dmesg(req *machine.DmesgRequest, srv machine.MachineService_DmesgServer) error {
	n := a.n
	skip := -1
	if req.Tail {
		skip = 0
	}
	send := func(line string) error { return srv.Send(&common.Data{Bytes: []byte(line + "\n")}) }
	return n.streamLines(srv.Context(), n.kmsg, skip, req.Follow, send)
}

// streamLines sends the last tail lines of lines() (all of them when tail
// is negative), then, with follow, every line written after, until the
// caller goes.
func (n *node) streamLines(ctx context.Context, lines func() []string, tail int, follow bool, send func(string) error) error {
	cur := lines()
	start := 0
	if tail >= 0 {
		start = max(len(cur)-tail, 0)
	}
	for _, l := range cur[start:] {
		if err := send(l); err != nil {
			return err
		}
	}
	if !follow {
		return nil
	}
	last := ""
	if len(cur) > 0 {
		last = cur[len(cur)-1]
	}
	t := time.NewTicker(max(n.ns.Tick, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		now := lines()
		// The log keeps its last lines only: what is new is what follows
		// the last line sent.
		from := 0
		if i := slices.Index(now, last); i >= 0 || last == "" {
			from = i + 1
		}
		for _, l := range now[from:] {
			if err := send(l); err != nil {
				return err
			}
			last = l
		}
	}
}

// serviceLog is the log of one service, nil for a service the node does
// not run.
func (n *node) serviceLog(id string) []string {
	resp, err := (&machineAPI{n: n}).ServiceList(context.Background(), nil)
	if err != nil {
		return nil
	}
	known := false
	for _, s := range resp.Messages[0].Services {
		known = known || s.Id == id
	}
	if !known {
		return nil
	}
	act := n.activity()
	n.mu.Lock()
	since, log, mi, host := n.kubeletSince, slices.Clone(n.log), n.etcd, n.f.hostname
	n.mu.Unlock()
	at := func(t time.Time, msg string) string { return t.UTC().Format(time.RFC3339Nano) + " " + msg }
	switch id {
	case "machined":
		out := []string{at(act.boot, "[talos] [initramfs] booting Talos "+version.Tag), at(act.boot, "[talos] service[machined](Running): Health check successful")}
		return append(out, log...)
	case "etcd":
		if mi == nil {
			return []string{}
		}
		return readLines(n.ns.memberLog(mi))
	case "kubelet":
		if since.IsZero() {
			return []string{}
		}
		return []string{
			fmt.Sprintf(`{"ts":%d,"caller":"app/server.go:1339","msg":"Started kubelet","v":0}`, since.UnixMilli()),
			fmt.Sprintf(`{"ts":%d,"caller":"kubelet/kubelet_node_status.go:75","msg":"Successfully registered node","v":0,"node":%q}`, since.UnixMilli(), host),
		}
	}
	return []string{at(act.boot, fmt.Sprintf("[talos] service[%s](Running): Health check successful", id))}
}

// readLines reads a text file's lines, none if it is not there.
func readLines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return []string{}
	}
	defer f.Close()
	out := []string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// kmsg is the kernel ring buffer: the boot of this VM (its memory, CPUs
// and disk as QEMU presents them) and what machined logged since.
func (n *node) kmsg() []string {
	act := n.activity()
	vm := n.vmInfo()
	n.mu.Lock()
	log := slices.Clone(n.log)
	n.mu.Unlock()
	line := func(off time.Duration, facility, prio, msg string) string {
		return fmt.Sprintf("%s: %7s: [%s]: %s", facility, prio, act.boot.Add(off).UTC().Format(time.RFC3339Nano), msg)
	}
	kb := vm.MemoryMiB * 1024
	sectors := vm.DiskBytes / 512
	out := []string{
		line(0, "kern", "notice", "Linux version "+kernelRelease+" (@buildkitsandbox) #1 SMP"),
		line(0, "kern", "info", "Command line: talos.platform=nocloud console=tty0 console=ttyS0 init_on_alloc=1 slab_nomerge pti=on consoleblank=0 nvme_core.io_timeout=4294967295 printk.devkmsg=on selinux=1 module.sig_enforce=1"),
		line(0, "kern", "info", "Hypervisor detected: KVM"),
		line(time.Millisecond, "kern", "info", fmt.Sprintf("Memory: %dK/%dK available", kb*96/100, kb)),
		line(2*time.Millisecond, "kern", "info", fmt.Sprintf("smpboot: Allowing %d CPUs, 0 hotplug CPUs", max(vm.Cores, 1))),
		line(300*time.Millisecond, "kern", "notice", "scsi 2:0:0:0: Direct-Access     QEMU     QEMU HARDDISK    2.5+ PQ: 0 ANSI: 5"),
		line(310*time.Millisecond, "kern", "notice", fmt.Sprintf("sd 2:0:0:0: [sda] %d 512-byte logical blocks: (%s)", sectors, ibytes(uint64(vm.DiskBytes)))),
		line(320*time.Millisecond, "kern", "info", "sr 1:0:1:0: [sr0] scsi3-mmc drive: 4x/4x cd/rw xa/form2 tray"),
		line(400*time.Millisecond, "kern", "info", "virtio_net virtio0 eth0: renamed from enp0s18"),
	}
	for _, l := range log {
		ts, msg, ok := strings.Cut(l, " ")
		if !ok {
			continue
		}
		out = append(out, fmt.Sprintf("%s: %7s: [%s]: %s", "user", "warning", ts, msg))
	}
	return out
}

// kernelRelease is the kernel a Talos v1.13 node reports (illustrative:
// the machinery module does not carry the kernel's version).
const kernelRelease = "6.12.0-talos"
