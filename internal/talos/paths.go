package talos

import "path/filepath"

// Files in the state directory, relative to it. Configs and the
// talosconfig hold CA keys and client keys: they are written 0600.
const (
	// ConfigDir holds one machine config per node, <node>.yaml.
	ConfigDir = "talos"
	// TalosconfigFile is the talosctl client config with every control
	// plane as an endpoint.
	TalosconfigFile = "talosconfig"
	// KubeconfigFile is the admin kubeconfig fetched from the cluster.
	KubeconfigFile = "kubeconfig"
)

// SecretFiles are the patterns of the files above, all of which hold keys:
// with the secrets store encrypted they are sealed with age (the state
// directory keeps them as <name>.age).
var SecretFiles = []string{filepath.Join(ConfigDir, "*.yaml"), TalosconfigFile, KubeconfigFile}

// ConfigFile is where a node's machine config is kept, relative to the
// state directory.
func ConfigFile(node string) string { return filepath.Join(ConfigDir, node+".yaml") }
