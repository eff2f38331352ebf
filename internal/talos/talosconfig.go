package talos

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"reflect"
	"slices"
	"time"

	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
)

// renewBefore is how long before its client certificate expires a written
// talosconfig or kubeconfig is replaced.
const renewBefore = 30 * 24 * time.Hour

// Talosconfig is the cluster's talosctl config, as the generator makes it:
// one context named after the cluster, every control plane as an endpoint
// and an os:admin client certificate from the bundle's OS CA.
func (r *Renderer) Talosconfig() (*clientconfig.Config, error) {
	cfg, err := r.input.Talosconfig()
	if err != nil {
		return nil, fmt.Errorf("failed to generate the talosconfig: %w", err)
	}
	return cfg, nil
}

// TalosconfigCurrent reports whether a written talosconfig still serves
// for the cluster: its context trusts the bundle's OS CA, lists exactly
// endpoints, and holds a client certificate from that CA that is valid for
// at least 30 more days at now. A current one is kept, not regenerated: it
// carries a fresh key pair each time.
func TalosconfigCurrent(existing []byte, bundle *secrets.Bundle, cluster string, endpoints []string, now time.Time) bool {
	cfg, err := clientconfig.FromBytes(existing)
	if err != nil || cfg.Context != cluster {
		return false
	}
	ctx := cfg.Contexts[cluster]
	if ctx == nil || !slices.Equal(ctx.Endpoints, endpoints) {
		return false
	}
	ca, err := base64.StdEncoding.DecodeString(ctx.CA)
	if err != nil || string(ca) != string(bundle.Certs.OS.Crt) {
		return false
	}
	crt, err := base64.StdEncoding.DecodeString(ctx.Crt)
	if err != nil {
		return false
	}
	return certFromCA(crt, ca, now)
}

// certFromCA reports whether the PEM certificate crt was signed by the PEM
// CA and stays valid for renewBefore after now.
func certFromCA(crt, ca []byte, now time.Time) bool {
	cert, err := parsePEMCert(crt)
	if err != nil {
		return false
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return false
	}
	_, err = cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return err == nil && cert.NotAfter.After(now.Add(renewBefore))
}

func parsePEMCert(b []byte) (*x509.Certificate, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("not a PEM certificate")
	}
	return x509.ParseCertificate(blk.Bytes)
}

// MergeTalosconfig merges src's contexts into dst as talosctl config merge
// does: a context whose name is taken by a different context is renamed
// with a numeric suffix, and src's current context becomes dst's. dst may be empty (no file yet).
func MergeTalosconfig(dst, src []byte) ([]byte, []string, error) {
	in, err := clientconfig.FromBytes(src)
	if err != nil {
		return nil, nil, fmt.Errorf("the talosconfig to merge does not parse: %w", err)
	}
	out := &clientconfig.Config{}
	if len(dst) > 0 {
		if out, err = clientconfig.FromBytes(dst); err != nil {
			return nil, nil, fmt.Errorf("the existing talosconfig does not parse: %w", err)
		}
	}
	// An identical context is no conflict: merging twice changes nothing.
	for name, c := range in.Contexts {
		if old, ok := out.Contexts[name]; ok && reflect.DeepEqual(old, c) {
			delete(in.Contexts, name)
			if in.Context == name {
				in.Context, out.Context = "", name
			}
		}
	}
	var renames []string
	for _, r := range out.Merge(in) {
		renames = append(renames, r.String())
	}
	b, err := out.Bytes()
	if err != nil {
		return nil, nil, err
	}
	return b, renames, nil
}
