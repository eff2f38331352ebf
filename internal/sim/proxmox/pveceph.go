package proxmox

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// cmdPveceph models `pveceph install`: the packages land OpCephInstall
// after the start (the command blocks that long, API calls meanwhile see
// "binary not installed"); re-running it is harmless.
func cmdPveceph(ctx context.Context, sh *shell, args []string, out, errw io.Writer) int {
	if len(args) < 2 || args[1] != "install" {
		return sh.unmodelled(strings.Join(args, " "), errw, "ERROR: the simulator models only 'pveceph install'", 255)
	}
	repo, release := "enterprise", sh.c.defaultCephRelease()
	for i := 2; i+1 < len(args); i += 2 {
		switch args[i] {
		case "--repository":
			repo = args[i+1]
		case "--version":
			release = args[i+1]
		}
	}
	if cephVersions[release] == "" {
		fmt.Fprintf(errw, "400 Parameter verification failed.\nversion: value '%s' does not have a value in the enumeration 'reef, squid'\n", release)
		return sh.record("pveceph install", true, 255)
	}
	fmt.Fprintln(out, "update available package list")
	if repo == "enterprise" {
		return sh.record("pveceph install", true, enterpriseRefused(errw, release))
	}
	return sh.record("pveceph install", true, sh.install(ctx, release, repo, out, errw))
}

// enterpriseRefused is apt against the enterprise repository without a
// subscription key: the default repository fails on a fresh host.
func enterpriseRefused(errw io.Writer, release string) int {
	fmt.Fprintf(errw, "E: Failed to fetch https://enterprise.proxmox.com/debian/ceph-%s/dists/bookworm/InRelease  401  Unauthorized [IP: 212.224.123.70 443]\n", release)
	fmt.Fprintf(errw, "E: The repository 'https://enterprise.proxmox.com/debian/ceph-%s bookworm InRelease' is not signed.\n", release)
	fmt.Fprintln(errw, "command 'apt-get -q update' failed: exit code 100")
	return 255
}

// install records the install on the node and blocks for its duration (or
// for the rest of one already running).
func (sh *shell) install(ctx context.Context, release, repo string, out, errw io.Writer) int {
	var already bool
	var wait time.Duration // an install already running: apt waits for its lock
	status := sh.withNode(func(n *node) int {
		if n.Ceph != nil {
			if n.Ceph.Release != release {
				fmt.Fprintf(errw, "ceph %s is installed; switching releases needs the upgrade procedure, not 'pveceph install --version %s'\n", n.Ceph.Release, release)
				return 255
			}
			already = true
			wait = n.Ceph.Start.Add(sh.c.env.Delay(simcore.OpCephInstall, sh.host)).Sub(sh.c.env.Now())
			return 0
		}
		n.Ceph = &cephInstall{Start: sh.c.env.Now(), Release: release, Repo: repo}
		wait = sh.c.env.Delay(simcore.OpCephInstall, sh.host)
		return 0
	})
	if status != 0 {
		return status
	}
	fmt.Fprintln(out, "start installation")
	if already {
		fmt.Fprintln(out, "ceph is already the newest version.\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.")
	} else {
		fmt.Fprintln(out, "The following NEW packages will be installed:\n  ceph ceph-base ceph-mds ceph-mgr ceph-mgr-modules-core ceph-mon ceph-osd ceph-volume")
	}
	if wait > 0 {
		if err := simcore.Sleep(ctx, wait); err != nil {
			fmt.Fprintln(errw, "interrupted")
			return 130
		}
	}
	if !already {
		fmt.Fprintf(out, "Setting up ceph-mon (%s-pve1) ...\n", shortVersion(release))
	}
	fmt.Fprintf(out, "\ninstalled ceph %s successfully!\n", release)
	return 0
}

// defaultCephRelease is what `pveceph install` picks without --version.
func (c *Cluster) defaultCephRelease() string {
	if strings.HasPrefix(c.Version, "8.") {
		return "reef"
	}
	return "squid"
}
