package talos

import (
	"bytes"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	mtype "github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/resources/block"
	configres "github.com/siderolabs/talos/pkg/machinery/resources/config"
	"github.com/siderolabs/talos/pkg/machinery/resources/etcd"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
	"google.golang.org/grpc/codes"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// TestCOSIConfigAndDisks reads what talosctl get machineconfig, machinetype,
// etcdconfig, kubeletspec, disks, systemdisk and volumestatus show, through
// a node's life: in maintenance (no config, only the disks), configured
// (the applied config, to os:admin only), and after a reset that wipes
// STATE (back to none).
func TestCOSIConfigAndDisks(t *testing.T) {
	noLeaks(t)
	h := newHarness(t, simcore.Instant, 1, []string{"10.20.0.11"})
	ip := "10.20.0.11"
	h.ns.Boot(vm(100, "cp-1", ip, "fr-par-1"))
	ctx := testCtx(t)
	if err := h.ns.AwaitMode(ctx, ip, ModeMaintenance); err != nil {
		t.Fatal(err)
	}
	maint := h.insecure(ip)
	awaitCOSI(t, "the disk in maintenance", func() bool {
		_, err := safe.StateGetByID[*block.Disk](ctx, maint.COSI, "sda")
		return err == nil
	})
	if got := ids(get(t, maint, "disks")); got != "sda,sr0" {
		t.Fatalf("disks in maintenance: %s", got)
	}
	if mt, err := safe.StateGetByID[*configres.MachineType](ctx, maint.COSI, configres.MachineTypeID); err != nil || mt.MachineType() != mtype.TypeUnknown {
		t.Fatalf("machine type in maintenance = %v, %v", mt, err)
	}
	if _, err := safe.StateListAll[*configres.MachineConfig](ctx, maint.COSI); code(err) != codes.PermissionDenied {
		t.Fatalf("machineconfig in maintenance: %v", err)
	}
	if got := ids(get(t, maint, "volumestatus")); got != "" {
		t.Fatalf("volumes before the install: %s", got)
	}

	cfg := h.config(mtype.TypeControlPlane, "cp-1", ip, "fr-par-1")
	apply(t, h, ip, cfg)
	if err := h.ns.AwaitMode(ctx, ip, ModeConfigured); err != nil {
		t.Fatal(err)
	}
	admin, reader := h.secure(ip), h.readerClient(ip)
	if err := admin.Bootstrap(ctx, &machine.BootstrapRequest{}); err != nil {
		t.Fatal(err)
	}
	awaitCOSI(t, "kubelet and etcd specs", func() bool {
		return ids(get(t, admin, "kubeletspecs")) == "kubelet" && ids(get(t, reader, "etcdspecs")) == "etcd"
	})

	mc, err := safe.StateGetByID[*configres.MachineConfig](ctx, admin.COSI, configres.ActiveID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := mc.Provider().Bytes()
	want, _ := h.ns.byIP(ip).cfg.Bytes()
	if err != nil || !bytes.Equal(got, want) || mc.Provider().Machine().Type() != mtype.TypeControlPlane {
		t.Fatalf("machineconfig as admin differs from the applied config (%v)", err)
	}
	if _, err := safe.StateGetByID[*configres.MachineConfig](ctx, reader.COSI, configres.ActiveID); code(err) != codes.PermissionDenied {
		t.Fatalf("machineconfig as os:reader: %v", err)
	}
	if mt, err := safe.StateGetByID[*configres.MachineType](ctx, reader.COSI, configres.MachineTypeID); err != nil || mt.MachineType() != mtype.TypeControlPlane {
		t.Fatalf("machine type = %v, %v", mt, err)
	}
	ec, err := safe.StateGetByID[*etcd.Config](ctx, reader.COSI, etcd.ConfigID)
	if err != nil || ec.TypedSpec().Image == "" {
		t.Fatalf("etcdconfig = %v, %v", ec, err)
	}
	// The kubelet's config and spec are sensitive types too.
	if _, err := safe.StateGetByID[*k8s.KubeletSpec](ctx, reader.COSI, k8s.KubeletID); code(err) != codes.PermissionDenied {
		t.Fatalf("kubeletspec as os:reader: %v", err)
	}
	ks, err := safe.StateGetByID[*k8s.KubeletSpec](ctx, admin.COSI, k8s.KubeletID)
	if err != nil || ks.TypedSpec().ExpectedNodename != "cp-1" || ks.TypedSpec().Image == "" {
		t.Fatalf("kubeletspec = %v, %v", ks, err)
	}
	kc, err := safe.StateGetByID[*k8s.KubeletConfig](ctx, admin.COSI, k8s.KubeletID)
	if err != nil || kc.TypedSpec().ClusterDomain != "cluster.local" {
		t.Fatalf("kubeletconfig = %v, %v", kc, err)
	}
	disk, err := safe.StateGetByID[*block.Disk](ctx, reader.COSI, "sda")
	if err != nil || disk.TypedSpec().Size != 100<<30 || disk.TypedSpec().Model != "QEMU HARDDISK" {
		t.Fatalf("disk sda = %v, %v", disk, err)
	}
	vs, err := safe.StateGetByID[*block.VolumeStatus](ctx, reader.COSI, constants.EphemeralPartitionLabel)
	if err != nil || vs.TypedSpec().Phase != block.VolumePhaseReady || vs.TypedSpec().Size >= 100<<30 || vs.TypedSpec().Size < 98<<30 {
		t.Fatalf("EPHEMERAL = %v, %v", vs, err)
	}
	if sd, err := safe.StateGetByID[*block.SystemDisk](ctx, reader.COSI, block.SystemDiskID); err != nil || sd.TypedSpec().DevPath != "/dev/sda" {
		t.Fatalf("systemdisk = %v, %v", sd, err)
	}
	// Nothing changes, so the machine config is not rewritten each tick.
	v1 := mc.Metadata().Version()
	time.Sleep(20 * h.ns.Tick)
	if mc2, err := safe.StateGetByID[*configres.MachineConfig](ctx, admin.COSI, configres.ActiveID); err != nil || !mc2.Metadata().Version().Equal(v1) {
		t.Fatalf("machineconfig version moved from %s: %v, %v", v1, mc2, err)
	}

	// A reset that wipes STATE takes the config and its resources away.
	if _, err := admin.MachineClient.Reset(ctx, &machine.ResetRequest{Reboot: true}); err != nil {
		t.Fatal(err)
	}
	if err := h.ns.AwaitMode(ctx, ip, ModeMaintenance); err != nil {
		t.Fatal(err)
	}
	maint = h.insecure(ip)
	awaitCOSI(t, "no machine type or etcd config after the reset", func() bool {
		mt, err := safe.StateGetByID[*configres.MachineType](ctx, maint.COSI, configres.MachineTypeID)
		return err == nil && mt.MachineType() == mtype.TypeUnknown && ids(get(t, maint, "etcdconfigs")) == "" && ids(get(t, maint, "volumestatus")) == ""
	})
	// Sensitive, so unreadable in maintenance: look at the node's state.
	for _, md := range []resource.Metadata{
		resource.NewMetadata(configres.NamespaceName, configres.MachineConfigType, "", resource.VersionUndefined),
		resource.NewMetadata(k8s.NamespaceName, k8s.KubeletSpecType, "", resource.VersionUndefined),
	} {
		if list, err := h.ns.byIP(ip).res.st.List(ctx, md); err != nil || len(list.Items) != 0 {
			t.Fatalf("%s after the reset: %v, %v", md.Type(), list, err)
		}
	}
}
