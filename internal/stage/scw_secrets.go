package stage

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"

	iam "github.com/scaleway/scaleway-sdk-go/api/iam/v1alpha1"
	"github.com/scaleway/scaleway-sdk-go/scw"
	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
	"github.com/tripod-dev/tripod/internal/state"
)

// rootPassword is host's root password (Proxmox root@pam), generated once
// and kept in the secrets store. It never leaves this process except in the
// install request.
func (e *Env) rootPassword(host string) (string, error) {
	b, err := e.State.Secrets.GetOrCreate(secretRootPassword(host), newPassword)
	return string(b), err
}

// Password alphabet: letters, digits and a few marks every API, shell and
// form encoding passes unharmed.
const (
	pwLower   = "abcdefghijkmnopqrstuvwxyz"
	pwUpper   = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	pwDigits  = "23456789"
	pwMarks   = "-_.+"
	pwLength  = 24
	pwAllowed = pwLower + pwUpper + pwDigits + pwMarks
)

// newPassword draws 24 characters (about 140 bits) with at least one of each
// class, as password rules of OS images tend to ask.
func newPassword() ([]byte, error) {
	out := make([]byte, 0, pwLength)
	for _, class := range []string{pwLower, pwUpper, pwDigits, pwMarks} {
		c, err := pick(class)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	for len(out) < pwLength {
		c, err := pick(pwAllowed)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	for i := len(out) - 1; i > 0; i-- { // Fisher-Yates, so the classes are not in front
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return nil, err
		}
		out[i], out[j.Int64()] = out[j.Int64()], out[i]
	}
	return out, nil
}

func pick(from string) (byte, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(from))))
	if err != nil {
		return 0, err
	}
	return from[n.Int64()], nil
}

// newSSHKey generates the cluster's ed25519 key as an OpenSSH PEM.
func newSSHKey(comment string) func() ([]byte, error) {
	return func() ([]byte, error) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		block, err := ssh.MarshalPrivateKey(priv, comment)
		if err != nil {
			return nil, err
		}
		return pem.EncodeToMemory(block), nil
	}
}

// sshPublicKey is the authorized_keys line of the cluster's SSH key,
// generated once (but never in a dry run: ok is false while it does not
// exist then).
func (e *Env) sshPublicKey(dryRun bool) (line string, ok bool, err error) {
	comment := "tripod-" + e.Cluster().Name
	var pemBytes []byte
	if dryRun {
		pemBytes, err = e.State.Secrets.Get(secretSSHKey)
		if errors.Is(err, state.ErrNoSecret) {
			return "", false, nil
		}
	} else {
		pemBytes, err = e.State.Secrets.GetOrCreate(secretSSHKey, newSSHKey(comment))
	}
	if err != nil {
		return "", false, err
	}
	signer, err := ssh.ParsePrivateKey(pemBytes)
	if err != nil {
		return "", false, fmt.Errorf("secret %s is not an SSH private key: %w", secretSSHKey, err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " " + comment, true, nil
}

// haveSecret reports whether the store holds name. Only a secret that was
// never stored is absent: one that does not open (no identity, a wrong one,
// a damaged file) or that others can read is an error saying so, never a
// reason to act as if it were missing.
func (e *Env) haveSecret(name string) (bool, error) {
	_, err := e.State.Secrets.Get(name)
	if errors.Is(err, state.ErrNoSecret) {
		return false, nil
	}
	return err == nil, err
}

// ensureIAMKey registers the cluster's public SSH key in IAM (once per
// project: both providers' installs name keys by IAM ID) and returns its ID.
// In a dry run it plans the registration once and returns run.ErrPlanned.
func (e *Env) ensureIAMKey(ctx context.Context, st *run.Step, c *scaleway.Client) (string, error) {
	sh := e.scwShared()
	sh.keyMu.Lock()
	defer sh.keyMu.Unlock()
	if sh.sshKey != "" {
		return sh.sshKey, nil
	}
	line, ok, err := e.sshPublicKey(st.DryRun())
	if err != nil {
		return "", err
	}
	name := "tripod-" + e.Cluster().Name
	m := run.Mutation{API: "scaleway", Verb: "register", Object: "SSH key " + name, Detail: "IAM key of project " + c.ProjectID + ", installed for root on every host",
		Request: reqIAMKeyCreate}
	if !ok {
		return "", e.planOnce(ctx, st, m)
	}
	key, err := e.findIAMKey(ctx, c, line)
	if err != nil || (key != nil && !key.Disabled) {
		return keyID(key), err
	}
	if key != nil {
		m.Verb, m.Detail, m.Request = "enable", "IAM key "+key.ID+" was disabled", reqIAMKeyUpdate
	}
	if st.DryRun() {
		return "", e.planOnce(ctx, st, m)
	}
	if key != nil {
		key, err = e.enableIAMKey(ctx, st, c, m, key)
	} else {
		key, err = e.createIAMKey(ctx, st, c, m, name, line)
	}
	if err != nil {
		return "", err
	}
	sh.sshKey = key.ID
	return key.ID, nil
}

// enableIAMKey enables the cluster's disabled key: safe to repeat.
func (e *Env) enableIAMKey(ctx context.Context, st *run.Step, c *scaleway.Client, m run.Mutation, key *iam.SSHKey) (*iam.SSHKey, error) {
	out := key
	err := st.Mutate(ctx, m, func(ctx context.Context) error {
		no := false
		return scaleway.Evidence(e.scwRead(ctx, func(ctx context.Context) error {
			k, err := c.IAM.UpdateSSHKey(&iam.UpdateSSHKeyRequest{SSHKeyID: key.ID, Disabled: &no}, scw.WithContext(ctx))
			if err == nil {
				out = k
			}
			return err
		}))
	})
	return out, err
}

// createIAMKey registers the cluster's key; a registration without an
// answer is looked for by its public key before it is sent again.
func (e *Env) createIAMKey(ctx context.Context, st *run.Step, c *scaleway.Client, m run.Mutation, name, line string) (*iam.SSHKey, error) {
	var key *iam.SSHKey
	err := e.sendOnce(ctx, st, m, func(ctx context.Context) error {
		k, err := c.IAM.CreateSSHKey(&iam.CreateSSHKeyRequest{Name: name, PublicKey: line, ProjectID: c.ProjectID}, scw.WithContext(ctx))
		key = k
		return scaleway.Evidence(err)
	}, func(ctx context.Context) (bool, error) {
		k, err := e.findIAMKey(ctx, c, line)
		if k != nil && !k.Disabled {
			key = k
		}
		return key != nil, err
	})
	return key, err
}

func keyID(k *iam.SSHKey) string {
	if k == nil {
		return ""
	}
	return k.ID
}

// planOnce records m in the plan for the first step that needs it; every
// step that needs it gets run.ErrPlanned. Call with keyMu held.
func (e *Env) planOnce(ctx context.Context, st *run.Step, m run.Mutation) error {
	sh := e.scwShared()
	if sh.planned {
		return run.ErrPlanned
	}
	sh.planned = true
	return st.Mutate(ctx, m, nil)
}

// findIAMKey finds the project's IAM key with the public key of line.
func (e *Env) findIAMKey(ctx context.Context, c *scaleway.Client, line string) (*iam.SSHKey, error) {
	want := strings.Fields(line)[:2]
	var found *iam.SSHKey
	err := e.scwRead(ctx, func(ctx context.Context) error {
		r, err := c.IAM.ListSSHKeys(&iam.ListSSHKeysRequest{ProjectID: &c.ProjectID}, scw.WithContext(ctx), scw.WithAllPages())
		for _, k := range listOrNil(r, err, func(r *iam.ListSSHKeysResponse) []*iam.SSHKey { return r.SSHKeys }) {
			if f := strings.Fields(k.PublicKey); len(f) >= 2 && f[0] == want[0] && f[1] == want[1] && (found == nil || found.Disabled) {
				found = k
			}
		}
		return err
	})
	return found, scaleway.Wrap(err, "list the IAM SSH keys of project %s", c.ProjectID)
}
