package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/drill"
	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/state/s3state"
	"github.com/tripod-dev/tripod/internal/talos"
)

// talosBundleSecret is the secrets store's name for the Talos secrets
// bundle (the machineconfig stage generates it).
const talosBundleSecret = "talos-secrets.yaml"

type backupFlags struct {
	run runFlags
	to  string
}

func newBackupCommand(s Streams) *cobra.Command {
	f := &backupFlags{}
	cmd := &cobra.Command{
		Use:   "backup -i FILE [--to s3://BUCKET/PREFIX]",
		Short: "Snapshot etcd through the Talos API and keep it with what a rebuild needs",
		Long: `Take an etcd snapshot from a healthy control plane (one whose etcd reports a leader and
no errors, asked through the Talos API), check it (the hash etcd appends to every
snapshot, and its database), and write it into the state directory under
backups/<UTC time>/ together with its sha256, every node's machine config, the Talos
secrets bundle (as the state keeps them: sealed when the state is sealed), the inventory
file as loaded and a manifest.json (cluster, node, etcd revision, sizes, checksums,
tripod version). Every file is 0600. The folder is written aside and renamed when
complete, so a killed backup never looks complete; backup list shows it as partial.

With --to s3://BUCKET/PREFIX the same files are uploaded to PREFIX/<UTC time>/ with the
S3 client remote states use (credentials: the Scaleway profile for Scaleway Object
Storage, AWS_* otherwise), the manifest last. The etcd snapshot holds the cluster's
Kubernetes Secrets: keep the bucket private.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBackup(cmd.Context(), s, f) },
	}
	addRunFlags(cmd, &f.run)
	cmd.Flags().StringVar(&f.to, "to", "", "also upload the backup to this s3://BUCKET/PREFIX")
	cmd.AddCommand(newBackupListCommand(s))
	return cmd
}

func runBackup(ctx context.Context, s Streams, f *backupFlags) error {
	var objs *s3state.Objects
	if f.to != "" {
		o, err := s3state.OpenObjects(ctx, f.to, stateDialer(f.run.sim))
		if err != nil {
			return fmt.Errorf("--to: %w", err)
		}
		objs = o
	}
	ss, err := openSession(ctx, s, &f.run, "tripod backup", true)
	if err != nil {
		return err
	}
	defer ss.Close()
	if ss.dir.Backend != nil && objs == nil {
		// state.LocalOnly: a remote state never stores backups/.
		return fmt.Errorf("the state of %s is in a bucket and a backup is never stored there (its etcd snapshot holds the cluster's Secrets in clear), so it would go with this command's working copy: pass --to s3://BUCKET/PREFIX to upload it; nothing was snapshotted", ss.inv.File)
	}
	a, err := openAccess(ctx, ss)
	if err != nil {
		return err
	}
	cp, status, err := a.healthyControlPlane(ctx)
	if err != nil {
		return err
	}
	w, err := drill.NewWriter(filepath.Join(ss.dir.Path, drill.BackupsDir), time.Now())
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			w.Abort()
		}
	}()
	info, err := a.snapshot(ctx, cp, w)
	if err != nil {
		return err
	}
	if err := addRebuildFiles(ss, w); err != nil {
		return err
	}
	m := drill.Manifest{
		Cluster: ss.inv.Cluster.Name, Created: time.Now().UTC(), Node: cp.Name, NodeAddress: cp.Address.String(),
		EtcdRevision: info.Revision, EtcdRaftIndex: status.GetRaftIndex(), EtcdLeader: status.GetLeader(),
		TripodVersion: currentBuild().Version,
	}
	dir, err := w.Commit(&m)
	if err != nil {
		return err
	}
	committed = true
	fmt.Fprintf(ss.out, "Backup %s of cluster %s: etcd snapshot from %s at revision %d (%d bytes, sha256 %s)\n  %s\n",
		w.Name(), m.Cluster, cp.Name, info.Revision, info.Size, info.SHA256, dir)
	if objs != nil {
		if err := drill.Upload(ctx, objs, dir, w.Name(), &m); err != nil {
			return err
		}
		fmt.Fprintf(ss.out, "  uploaded to %s/%s/\n", objs.Location(), w.Name())
	}
	return nil
}

// healthyControlPlane asks each control plane's etcd for its status, in
// layout order, and returns the first that follows a leader and reports no
// error.
func (a *clusterAccess) healthyControlPlane(ctx context.Context) (inventory.VMPlan, *machine.EtcdMemberStatus, error) {
	var why []string
	for _, cp := range a.ss.inv.Layout.ControlPlanes() {
		st, err := a.etcdStatus(ctx, cp.Address.String())
		switch {
		case err != nil:
			why = append(why, fmt.Sprintf("%s: %s", cp.Name, talos.FirstLine(err)))
		case st.GetLeader() == 0 || len(st.GetErrors()) > 0 || st.GetIsLearner():
			why = append(why, fmt.Sprintf("%s: leader %x, learner %v, errors %v", cp.Name, st.GetLeader(), st.GetIsLearner(), st.GetErrors()))
		default:
			return cp, st, nil
		}
	}
	return inventory.VMPlan{}, nil, fmt.Errorf("no control plane has a healthy etcd to snapshot: %v", why)
}

// etcdStatus is the EtcdStatus of the node at addr, asked once.
func (a *clusterAccess) etcdStatus(ctx context.Context, addr string) (*machine.EtcdMemberStatus, error) {
	ctx, cancel := a.attempt(ctx, 10*time.Second)
	defer cancel()
	c, err := a.talosTo(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	resp, err := c.EtcdStatus(ctx)
	if err != nil {
		return nil, err
	}
	if len(resp.GetMessages()) == 0 {
		return nil, fmt.Errorf("EtcdStatus of %s answered nothing", addr)
	}
	return resp.GetMessages()[0].GetMemberStatus(), nil
}

// snapshot streams cp's etcd snapshot into the backup, checks it and
// records it with its sha256 file.
func (a *clusterAccess) snapshot(ctx context.Context, cp inventory.VMPlan, w *drill.Writer) (drill.SnapshotInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, a.ss.env.Timing.Attempt(10*time.Minute))
	defer cancel()
	c, err := a.talosTo(ctx, cp.Address.String())
	if err != nil {
		return drill.SnapshotInfo{}, err
	}
	defer c.Close()
	rc, err := c.EtcdSnapshot(ctx, &machine.EtcdSnapshotRequest{})
	if err != nil {
		return drill.SnapshotInfo{}, fmt.Errorf("failed to take the etcd snapshot on %s: %w", cp.Name, err)
	}
	defer rc.Close()
	p := w.Path(drill.SnapshotFile)
	fh, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return drill.SnapshotInfo{}, err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(fh, h), rc)
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return drill.SnapshotInfo{}, fmt.Errorf("failed to receive the etcd snapshot from %s: %w", cp.Name, err)
	}
	info, err := drill.VerifySnapshot(p)
	if err != nil {
		return drill.SnapshotInfo{}, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != info.SHA256 {
		return drill.SnapshotInfo{}, fmt.Errorf("the snapshot changed on disk while it was checked (%s, then %s)", got, info.SHA256)
	}
	w.Record(drill.SnapshotFile, info.Size, info.SHA256)
	sum := fmt.Sprintf("%s  %s\n", info.SHA256, drill.SnapshotFile)
	return info, w.Add(drill.SnapshotSumFile, []byte(sum), false)
}

// addRebuildFiles copies what a rebuild needs besides etcd, byte for byte
// as the state keeps it (sealed files stay sealed): every node's machine
// config, the Talos secrets bundle and the inventory file.
func addRebuildFiles(ss *session, w *drill.Writer) error {
	sealed := ss.dir.Secrets.Encrypted()
	for _, vm := range ss.inv.Layout.VMs {
		p := ss.dir.SecretPath(talos.ConfigFile(vm.Name))
		rel, _ := filepath.Rel(ss.dir.Path, p)
		if err := copyInto(w, p, filepath.ToSlash(rel), sealed, "the machineconfig stage of tripod up writes it"); err != nil {
			return err
		}
	}
	bundle := filepath.Join(ss.dir.Path, "secrets", talosBundleSecret)
	if err := copyInto(w, bundle, "secrets/"+talosBundleSecret, sealed, "the machineconfig stage of tripod up writes it"); err != nil {
		return err
	}
	return copyInto(w, ss.inv.File, drill.InventoryFile, false, "")
}

func copyInto(w *drill.Writer, src, rel string, sealed bool, writer string) error {
	b, err := os.ReadFile(src)
	if os.IsNotExist(err) && writer != "" {
		return fmt.Errorf("no %s to back up: %s", src, writer)
	}
	if err != nil {
		return fmt.Errorf("failed to read %s for the backup: %w", src, err)
	}
	return w.Add(rel, b, sealed)
}
