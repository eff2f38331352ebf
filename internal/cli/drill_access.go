package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/client"
	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/stage"
	"github.com/tripod-dev/tripod/internal/talos"
)

// clusterAccess is how backup and the drills reach a running cluster:
// the Talos API of each node and the Kubernetes API, through the one
// dialer and the inventory's access path, with the admin credentials up
// wrote to the state directory.
type clusterAccess struct {
	ss    *session
	talos *clientconfig.Config
	kube  *http.Client
	// server is the Kubernetes API's URL, without a trailing slash.
	server string
}

// openAccess finds the hosts (their public addresses and pinned SSH keys,
// observed as plan would, changing nothing: the route to the private
// network needs them) and reads the admin configs.
func openAccess(ctx context.Context, ss *session) (*clusterAccess, error) {
	ss.sink = run.Sinks{}
	if _, err := ss.runner(stage.OS, true).Run(ctx); err != nil {
		return nil, fmt.Errorf("failed to find the hosts to reach the cluster through: %w", err)
	}
	read := func(rel, writer string) ([]byte, error) {
		b, err := ss.dir.ReadSecretFile(rel)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no %s in %s yet: tripod up -i %s writes it (%s)", rel, ss.dir.Path, ss.flags.file, writer)
		}
		return b, err
	}
	tc, err := read(talos.TalosconfigFile, "the machineconfig stage")
	if err != nil {
		return nil, err
	}
	cfg, err := clientconfig.FromBytes(tc)
	if err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", talos.TalosconfigFile, err)
	}
	kb, err := read(talos.KubeconfigFile, "the health stage")
	if err != nil {
		return nil, err
	}
	k, err := talos.ParseKubeconfig(kb)
	if err != nil {
		return nil, err
	}
	tlsConf, err := k.TLSConfig()
	if err != nil {
		return nil, err
	}
	// One attempt per request: a probe measures the API as it is, and a
	// retry would hide the very outage a drill looks for.
	hc := ss.env.Dialer.HTTPClient(tlsConf, 0)
	return &clusterAccess{ss: ss, talos: cfg, kube: hc, server: strings.TrimSuffix(k.Server, "/")}, nil
}

// talosTo is a mutual-TLS Talos client whose one endpoint is addr; the
// caller closes it.
func (a *clusterAccess) talosTo(ctx context.Context, addr string) (*client.Client, error) {
	return talos.Secure(ctx, a.ss.env.Dialer.DialContext, a.talos, talos.WithEndpoints(addr))
}

// attempt is ctx cut at d of the run's time (scaled on the simulator).
func (a *clusterAccess) attempt(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(talos.Once(ctx), a.ss.env.Timing.Attempt(d))
}
