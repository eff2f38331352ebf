package talos

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"

	"github.com/tripod-dev/tripod/internal/inventory"
)

// Renderer renders the machine configs of one cluster from its inventory
// and secrets bundle. It is safe for concurrent use.
type Renderer struct {
	inv     *inventory.Loaded
	input   *generate.Input
	base    map[inventory.MachineType]config.Provider
	patches []userPatch
}

// Rendered is one node's machine config.
type Rendered struct {
	Node     string
	Bytes    []byte   // the YAML to apply (holds CA keys: keep it 0600)
	Warnings []string // the validator's warnings, which a node would log
}

// InstallerImage is the Image Factory installer for the cluster's schematic
// and Talos version: factory.talos.dev/installer/<schematic>:<version>.
func InstallerImage(t inventory.Talos) string {
	host := t.ImageFactory
	if u, err := url.Parse(t.ImageFactory); err == nil && u.Host != "" {
		host = u.Host
	}
	return fmt.Sprintf("%s/installer/%s:%s", host, t.Schematic, t.Version)
}

// ControlPlaneEndpoints are every control plane's address, in layout order:
// the talosconfig's endpoints.
func ControlPlaneEndpoints(l *inventory.Layout) []string {
	var out []string
	for _, vm := range l.ControlPlanes() {
		out = append(out, vm.Address.String())
	}
	return out
}

// NewRenderer prepares the generator input and loads the inventory's
// patches. A patch file that cannot be read fails here, for every node.
func NewRenderer(inv *inventory.Loaded, bundle *secrets.Bundle) (*Renderer, error) {
	in, err := newInput(inv, bundle)
	if err != nil {
		return nil, err
	}
	r := &Renderer{inv: inv, input: in, base: map[inventory.MachineType]config.Provider{}}
	for typ, mt := range map[inventory.MachineType]machine.Type{inventory.ControlPlaneNode: machine.TypeControlPlane, inventory.WorkerNode: machine.TypeWorker} {
		if r.base[typ], err = in.Config(mt); err != nil {
			return nil, fmt.Errorf("failed to generate the %s config: %w", typ, err)
		}
	}
	if r.patches, err = loadUserPatches(inv.Cluster.Talos.Patches, inv.Dir); err != nil {
		return nil, err
	}
	return r, nil
}

func newInput(inv *inventory.Loaded, bundle *secrets.Bundle) (*generate.Input, error) {
	t := inv.Cluster.Talos
	contract, err := config.ParseContractFromVersion(t.Version)
	if err != nil {
		return nil, fmt.Errorf("failed to read Talos version %q: %w", t.Version, err)
	}
	opts := []generate.Option{
		generate.WithSecretsBundle(bundle),
		generate.WithVersionContract(contract),
		generate.WithInstallDisk(t.InstallDisk),
		generate.WithInstallImage(InstallerImage(t)),
		generate.WithEndpointList(ControlPlaneEndpoints(inv.Layout)),
	}
	if t.VIP.IsValid() {
		// Clients that reach the API server by the VIP, not the endpoint's
		// name, must still verify its certificate.
		opts = append(opts, generate.WithAdditionalSubjectAltNames([]string{t.VIP.String()}))
	}
	in, err := generate.NewInput(inv.Cluster.Name, t.Endpoint, strings.TrimPrefix(t.KubernetesVersion, "v"), opts...)
	if err != nil {
		return nil, fmt.Errorf("failed to prepare the Talos config generator: %w", err)
	}
	in.PodNet = []string{t.PodSubnet.String()}
	in.ServiceNet = []string{t.ServiceSubnet.String()}
	return in, nil
}

// Render builds, patches and validates vm's config in the order the package
// documentation gives. A failure is a *PatchError naming the node and, when
// an inventory patch caused it, the patch.
func (r *Renderer) Render(vm inventory.VMPlan) (*Rendered, error) {
	np, err := nodePatch(r.inv.Cluster, vm)
	if err != nil {
		return nil, &PatchError{Node: vm.Name, Patch: "tripod's node settings", Err: err}
	}
	cfg, err := applyPatch(r.base[vm.Type].Clone(), np)
	if err == nil {
		_, err = validate(cfg)
	}
	if err != nil {
		return nil, &PatchError{Node: vm.Name, Patch: "tripod's node settings", Err: err}
	}
	for _, p := range r.patches {
		if !p.appliesTo(vm.Type) {
			continue
		}
		if cfg, err = applyPatch(cfg, p.Patch); err == nil {
			_, err = validate(cfg)
		}
		if err != nil {
			return nil, &PatchError{Node: vm.Name, Patch: p.Source, Path: p.Path, Err: err}
		}
	}
	return finish(vm.Name, cfg)
}

// finish encodes the config and validates it once more as the node will
// see it: loaded from the bytes sent.
func finish(node string, cfg config.Provider) (*Rendered, error) {
	b, err := cfg.EncodeBytes(encoder.WithComments(encoder.CommentsDisabled))
	if err != nil {
		return nil, &PatchError{Node: node, Err: fmt.Errorf("failed to encode: %w", err)}
	}
	loaded, err := configloader.NewFromBytes(b)
	if err != nil {
		return nil, &PatchError{Node: node, Err: fmt.Errorf("the rendered config does not load: %w", err)}
	}
	warnings, err := validate(loaded)
	if err != nil {
		return nil, &PatchError{Node: node, Err: err}
	}
	return &Rendered{Node: node, Bytes: b, Warnings: warnings}, nil
}

// applyPatch applies one patch. A JSON6902 patch edits the v1alpha1
// document alone: configpatcher refuses JSON6902 on multi-document configs,
// and every config Talos 1.13 generates has more than one document.
func applyPatch(cfg config.Provider, p configpatcher.Patch) (config.Provider, error) {
	if _, strategic := p.(configpatcher.StrategicMergePatch); strategic {
		out, err := configpatcher.Apply(configpatcher.WithConfig(cfg), []configpatcher.Patch{p})
		if err != nil {
			return nil, err
		}
		return out.Config()
	}
	return applyJSON6902(cfg, p)
}
