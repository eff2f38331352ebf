package stage

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tripod-dev/tripod/internal/simtest"
	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/talos"
)

func checkNoSecrets(t *testing.T, tw *testWorld, text string) { checkNoSecretsInText(t, tw.Env, text) }

// checkNoSecretsInText looks in text (a run's events and errors) for every
// secret the Talos stages hold: the bundle's keys and tokens, each node's
// machine config secrets, the talosconfig's and the kubeconfig's client
// keys; and for any PEM block. It names what it found, never the value,
// and checks every file holding them is 0600.
func checkNoSecretsInText(t *testing.T, env *Env, text string) {
	t.Helper()
	if strings.Contains(text, "PRIVATE KEY") || strings.Contains(text, "BEGIN CERTIFICATE") {
		t.Error("PEM material appears in the run's events or errors")
	}
	needles := bundleNeedles(t, env)
	for _, rel := range secretFiles(t, env) {
		for what, s := range yamlSecrets(t, simtest.ReadPrivate(t, filepath.Join(env.State.Path, rel))) {
			needles[rel+" "+what] = s
		}
	}
	maps.DeleteFunc(needles, func(_, s string) bool { return len(s) < 8 })
	simtest.NoSecrets(t, "the run's events or errors", text, needles)
}

// bundleNeedles are the secrets bundle's secrets, if one was generated.
func bundleNeedles(t *testing.T, env *Env) map[string]string {
	t.Helper()
	data, err := env.State.Secrets.Get(secretTalosBundle)
	if errors.Is(err, state.ErrNoSecret) {
		return map[string]string{}
	}
	if err != nil {
		t.Fatal(err)
	}
	simtest.ReadPrivate(t, filepath.Join(env.State.Path, "secrets", secretTalosBundle))
	b, err := talos.LoadBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{
		"bootstrap token": b.Secrets.BootstrapToken, "cluster secret": b.Cluster.Secret, "trustd token": b.TrustdInfo.Token,
		"secretbox key": b.Secrets.SecretboxEncryptionSecret, "aescbc key": b.Secrets.AESCBCEncryptionSecret,
	}
	for name, key := range map[string][]byte{"OS CA key": b.Certs.OS.Key, "Kubernetes CA key": b.Certs.K8s.Key, "etcd CA key": b.Certs.Etcd.Key,
		"aggregator CA key": b.Certs.K8sAggregator.Key, "service account key": b.Certs.K8sServiceAccount.Key} {
		out[name] = pemBody(key)
	}
	return out
}

// secretFiles are the files in the state directory that hold keys: every
// node's machine config, the talosconfig and the kubeconfig, those written.
func secretFiles(t *testing.T, env *Env) []string {
	t.Helper()
	var out []string
	for _, vm := range env.Layout().VMs {
		out = append(out, talos.ConfigFile(vm.Name))
	}
	out = append(out, talos.TalosconfigFile, talos.KubeconfigFile)
	kept := out[:0]
	for _, rel := range out {
		if _, err := os.Stat(filepath.Join(env.State.Path, rel)); err == nil {
			kept = append(kept, rel)
		} else if !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
	return kept
}

// secretFields are the YAML keys whose values are secrets in machine
// configs (machine.token, *.ca.key, cluster.token, cluster.secret, the
// encryption secrets), talosconfigs (contexts.*.key) and kubeconfigs
// (users[].user.client-key-data).
var secretFields = map[string]bool{"key": true, "token": true, "secret": true, "secretboxEncryptionSecret": true,
	"aescbcEncryptionSecret": true, "client-key-data": true}

// yamlSecrets walks every document of data and returns its secret values
// by YAML path; a base64 PEM value also yields its body, in case something
// decoded it.
func yamlSecrets(t *testing.T, data []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		walkSecrets(&doc, fmt.Sprintf("doc%d", i), out)
	}
	if len(out) == 0 {
		t.Error("a file expected to hold secrets has none the scan recognises")
	}
	return out
}

func walkSecrets(n *yaml.Node, path string, out map[string]string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walkSecrets(c, path, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			walkSecrets(c, fmt.Sprintf("%s[%d]", path, i), out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := path + "." + k.Value
			if secretFields[k.Value] && v.Kind == yaml.ScalarNode && v.Value != "" {
				out[p] = v.Value
				if pem, err := base64.StdEncoding.DecodeString(v.Value); err == nil && bytes.Contains(pem, []byte("-----BEGIN")) {
					out[p+" (decoded)"] = pemBody(pem)
				}
				continue
			}
			walkSecrets(v, p, out)
		}
	}
}

// pemBody is the first line of a PEM block's base64 body: enough to find
// the key in any text without carrying it whole.
func pemBody(pem []byte) string {
	lines := strings.Split(strings.TrimSpace(string(pem)), "\n")
	if len(lines) < 2 {
		return ""
	}
	return lines[1]
}
