package simtest

import (
	"path/filepath"
	"strings"
	"testing"

	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"

	"github.com/tripod-dev/tripod/internal/talos"
)

// MachineConfigs reads every node's machine config from a state directory
// (talos/<node>.yaml, each 0600), keyed by node. It fails t if there is
// none.
func MachineConfigs(t testing.TB, stateDir string) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(stateDir, talos.ConfigDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no machine configs in %s: %v", stateDir, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		out[strings.TrimSuffix(filepath.Base(f), ".yaml")] = ReadPrivate(t, f)
	}
	return out
}

// Talosconfig reads the talosconfig (0600) of a state directory with the
// machinery's own loader.
func Talosconfig(t testing.TB, stateDir string) *clientconfig.Config {
	t.Helper()
	cfg, err := clientconfig.FromBytes(ReadPrivate(t, filepath.Join(stateDir, talos.TalosconfigFile)))
	if err != nil {
		t.Fatalf("talosconfig: %v", err)
	}
	return cfg
}
