package talos

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/role"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// validationMode is the runtime mode configs are validated in. A VM booted
// from the nocloud ISO is not installed yet, and the issue wants a config
// without install instructions refused at apply time (a real node in cloud
// mode would accept it and fail its install step), so the simulator
// validates as an uninstalled metal node, with the validator's own text.
type validationMode struct{}

func (validationMode) String() string        { return "metal" }
func (validationMode) RequiresInstall() bool { return true }
func (validationMode) InContainer() bool     { return false }

type applyMode = machine.ApplyConfigurationRequest_Mode

// ApplyConfiguration follows machined's handler order: one at a time, none
// while a REBOOT apply is pending, admin only outside maintenance, then
// load and validate, then resolve the mode.
func (a *machineAPI) ApplyConfiguration(ctx context.Context, req *machine.ApplyConfigurationRequest) (*machine.ApplyConfigurationResponse, error) {
	n := a.n
	if !n.applyMu.TryLock() {
		return nil, status.Error(codes.FailedPrecondition, "another apply configuration is already in progress")
	}
	defer n.applyMu.Unlock()
	n.mu.Lock()
	pending, maintenance, current := n.rebootPending || n.mode == ModeRebooting, n.mode == ModeMaintenance, n.cfg
	n.mu.Unlock()
	if pending {
		return nil, status.Error(codes.FailedPrecondition, "configuration was already applied and node is rebooting, cannot apply more configuration changes until next reboot")
	}
	if !maintenance && !rolesFrom(ctx).Includes(role.Admin) {
		return nil, status.Error(codes.PermissionDenied, "not authorized")
	}
	cfg, warnings, err := loadAndValidate(req.Data)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if maintenance {
		return n.applyInMaintenance(cfg, req, warnings)
	}
	return n.applyConfigured(current, cfg, req, warnings)
}

func loadAndValidate(data []byte) (config.Provider, []string, error) {
	cfg, err := configloader.NewFromBytes(data)
	if err != nil {
		return nil, nil, err
	}
	warnings, err := cfg.Validate(validationMode{})
	if err != nil {
		return nil, warnings, err
	}
	if cfg.RawV1Alpha1() == nil {
		return nil, warnings, fmt.Errorf("the applied machine configuration doesn't contain v1alpha1 config, did you mean to patch the machine config instead?")
	}
	return cfg, warnings, nil
}

// applyInMaintenance accepts the config and starts the install. Every mode
// resolves to NO_REBOOT: nothing runs yet that a reboot would restart (the
// real node rewrites REBOOT and resolves AUTO so; the simulator does not
// model staging or trying a first config).
func (n *node) applyInMaintenance(cfg config.Provider, req *machine.ApplyConfigurationRequest, warnings []string) (*machine.ApplyConfigurationResponse, error) {
	mode := machine.ApplyConfigurationRequest_NO_REBOOT
	details := modeDetails(mode)
	if req.DryRun {
		diff, _ := diffConfigs(nil, cfg)
		return reply(mode, dryRunDetails(details, diff), warnings), nil
	}
	n.mu.Lock()
	n.cfg, n.f = cfg, factsOf(cfg, n.ip, n.vm.Name)
	n.mode = ModeInstalling
	n.phase = phase{op: simcore.OpTalosInstall, since: n.ns.env.Now(), next: ModeConfigured}
	f := n.f
	n.mu.Unlock()
	n.ns.clusterFor(f) // a control plane's config brings up the cluster's API server
	return reply(mode, details, warnings), nil
}

// applyConfigured resolves the mode against the running config with the
// real immediate-apply rule (canApplyImmediate) and applies it.
func (n *node) applyConfigured(current, cfg config.Provider, req *machine.ApplyConfigurationRequest, warnings []string) (*machine.ApplyConfigurationResponse, error) {
	immediateErr := canApplyImmediate(current, cfg)
	mode := req.Mode
	details := modeDetails(mode)
	switch mode {
	case machine.ApplyConfigurationRequest_NO_REBOOT, machine.ApplyConfigurationRequest_TRY:
		if immediateErr != nil {
			return nil, status.Error(codes.InvalidArgument, immediateErr.Error())
		}
	case machine.ApplyConfigurationRequest_AUTO:
		mode = machine.ApplyConfigurationRequest_NO_REBOOT
		details = modeDetails(mode)
		if immediateErr != nil {
			mode = machine.ApplyConfigurationRequest_REBOOT
			details = modeDetails(mode) + ": " + immediateErr.Error()
		}
	}
	if req.DryRun {
		diff, _ := diffConfigs(current, cfg)
		return reply(mode, dryRunDetails(details, diff), warnings), nil
	}
	n.activate(cfg, mode, req)
	return reply(mode, details, warnings), nil
}

// activate puts an accepted config in place according to the resolved mode.
func (n *node) activate(cfg config.Provider, mode applyMode, req *machine.ApplyConfigurationRequest) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if mode != machine.ApplyConfigurationRequest_TRY {
		n.tryPrev, n.tryUntil = nil, time.Time{}
	}
	switch mode {
	case machine.ApplyConfigurationRequest_STAGED:
		n.staged = cfg
		return
	case machine.ApplyConfigurationRequest_REBOOT:
		n.staged, n.rebootPending = cfg, true
		n.startPhase(ModeRebooting, simcore.OpTalosReboot, ModeConfigured)
		return
	case machine.ApplyConfigurationRequest_NO_REBOOT:
		n.staged = nil // persisting the new config replaces a staged one
	case machine.ApplyConfigurationRequest_TRY:
		timeout := constants.ConfigTryTimeout
		if req.TryModeTimeout != nil && req.TryModeTimeout.AsDuration() > 0 {
			timeout = req.TryModeTimeout.AsDuration()
		}
		if n.tryPrev == nil {
			n.tryPrev = n.cfg
		}
		n.tryUntil = n.ns.env.Now().Add(time.Duration(float64(timeout) * n.ns.env.TimeScale))
	}
	n.setConfig(cfg)
}

// setConfig replaces the running config (lock held). A control plane
// reissues apid's certificate for new SANs (a worker keeps the one trustd
// signed); the kubelet sees new labels at the next sync.
func (n *node) setConfig(cfg config.Provider) {
	n.cfg, n.f = cfg, factsOf(cfg, n.ip, n.vm.Name)
	if n.f.osCA != nil && len(n.f.osCA.Key) > 0 {
		if cert, err := apidCert(n.f.osCA, n.f, n.ip); err == nil {
			n.cert = cert
		}
	}
}

// checkTry rolls a TRY apply back once its timeout has passed.
func (n *node) checkTry() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.tryPrev != nil && !n.tryUntil.IsZero() && !n.ns.env.Now().Before(n.tryUntil) {
		prev := n.tryPrev
		n.tryPrev, n.tryUntil = nil, time.Time{}
		n.setConfig(prev)
	}
}

func modeDetails(mode applyMode) string {
	switch mode {
	case machine.ApplyConfigurationRequest_STAGED:
		return "Staged configuration to be applied after the next reboot"
	case machine.ApplyConfigurationRequest_REBOOT:
		return "Applied configuration with a reboot"
	case machine.ApplyConfigurationRequest_TRY:
		return "Applied configuration without a reboot\nThe config is applied in 'try' mode and will be automatically reverted back in " + constants.ConfigTryTimeout.String()
	}
	return "Applied configuration without a reboot"
}

func dryRunDetails(details, diff string) string {
	if diff == "" {
		diff = "No changes."
	}
	return fmt.Sprintf("Dry run summary:\n%s (skipped in dry-run).\nConfig diff:\n\n%s", details, diff)
}

func reply(mode applyMode, details string, warnings []string) *machine.ApplyConfigurationResponse {
	return &machine.ApplyConfigurationResponse{Messages: []*machine.ApplyConfiguration{{Mode: mode, ModeDetails: details, Warnings: warnings}}}
}

// canApplyImmediate is Talos's rule: only the v1alpha1 document counts
// (other documents always apply live), and within it every field except
// these may not change without a reboot: debug, cluster, machine.ca,
// acceptedCAs, time, certSANs, install, network, sysfs, sysctls, logging,
// controlplane, kubelet, kernel, registries, pods, seccompProfiles,
// nodeAnnotations, nodeLabels, nodeTaints, and the features
// kubernetesTalosAPIAccess, kubePrism, hostDNS, imageCache and
// nodeAddressSortAlgorithm.
func canApplyImmediate(current, next config.Provider) error {
	cur, nxt := current.RawV1Alpha1(), next.RawV1Alpha1()
	if cur == nil || nxt == nil {
		return fmt.Errorf("current config is not v1alpha1")
	}
	nxt = nxt.DeepCopy()
	nxt.ConfigDebug, nxt.ClusterConfig = cur.ConfigDebug, cur.ClusterConfig
	if m, c := nxt.MachineConfig, cur.MachineConfig; m != nil && c != nil {
		m.MachineCA, m.MachineAcceptedCAs, m.MachineTime = c.MachineCA, c.MachineAcceptedCAs, c.MachineTime           //nolint:staticcheck
		m.MachineCertSANs, m.MachineInstall, m.MachineNetwork = c.MachineCertSANs, c.MachineInstall, c.MachineNetwork //nolint:staticcheck
		m.MachineSysfs, m.MachineSysctls, m.MachineLogging = c.MachineSysfs, c.MachineSysctls, c.MachineLogging
		m.MachineControlPlane, m.MachineKubelet, m.MachineKernel = c.MachineControlPlane, c.MachineKubelet, c.MachineKernel
		m.MachineRegistries, m.MachinePods, m.MachineSeccompProfiles = c.MachineRegistries, c.MachinePods, c.MachineSeccompProfiles //nolint:staticcheck
		m.MachineNodeAnnotations, m.MachineNodeLabels, m.MachineNodeTaints = c.MachineNodeAnnotations, c.MachineNodeLabels, c.MachineNodeTaints
		if mf, cf := m.MachineFeatures, c.MachineFeatures; mf != nil && cf != nil {
			mf.KubernetesTalosAPIAccessConfig, mf.KubePrismSupport = cf.KubernetesTalosAPIAccessConfig, cf.KubePrismSupport
			mf.HostDNSSupport, mf.ImageCacheSupport = cf.HostDNSSupport, cf.ImageCacheSupport
			mf.FeatureNodeAddressSortAlgorithm = cf.FeatureNodeAddressSortAlgorithm
		}
	}
	if reflect.DeepEqual(cur, nxt) {
		return nil
	}
	diff, err := diffConfigs(container.NewV1Alpha1(cur), container.NewV1Alpha1(nxt))
	if err != nil {
		return fmt.Errorf("error calculating diff: %w", err)
	}
	return fmt.Errorf("this config change can't be applied in immediate mode\ndiff:\n%s", diff)
}
