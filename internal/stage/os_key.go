package stage

import (
	"context"

	iam "github.com/scaleway/scaleway-sdk-go/api/iam/v1alpha1"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// ensureIAMKey registers the cluster's public SSH key in IAM (once per
// project: both providers' installs name keys by IAM ID) and returns its ID.
// In a dry run it plans the registration once and returns run.ErrPlanned.
func (s *osInstall) ensureIAMKey(ctx context.Context, st *run.Step, c *scaleway.Session) (string, error) {
	e := s.env
	c.Key.Lock()
	defer c.Key.Unlock()
	if c.Key.ID != "" {
		return c.Key.ID, nil
	}
	line, ok, err := sshPublicKey(e.State.Secrets, e.Cluster().Name, st.DryRun())
	if err != nil {
		return "", err
	}
	name := "tripod-" + e.Cluster().Name
	m := run.Mutation{API: "scaleway", Verb: "register", Object: "SSH key " + name, Detail: "IAM key of project " + c.ProjectID + ", installed for root on every host",
		Request: scaleway.ReqIAMKeyCreate}
	if !ok {
		return "", planOnce(ctx, st, c, m)
	}
	key, err := c.FindSSHKey(ctx, line)
	if err != nil || (key != nil && !key.Disabled) {
		return keyID(key), err
	}
	if key != nil {
		m.Verb, m.Detail, m.Request = "enable", "IAM key "+key.ID+" was disabled", scaleway.ReqIAMKeyUpdate
	}
	if st.DryRun() {
		return "", planOnce(ctx, st, c, m)
	}
	if key != nil {
		key, err = enableIAMKey(ctx, st, c, m, key)
	} else {
		key, err = createIAMKey(ctx, st, c, m, name, line)
	}
	if err != nil {
		return "", err
	}
	c.Key.ID = key.ID
	return key.ID, nil
}

// enableIAMKey enables the cluster's disabled key: safe to repeat.
func enableIAMKey(ctx context.Context, st *run.Step, c *scaleway.Session, m run.Mutation, key *iam.SSHKey) (*iam.SSHKey, error) {
	out := key
	err := st.Mutate(ctx, m, func(ctx context.Context) error {
		k, err := c.EnableSSHKey(ctx, key.ID)
		if err == nil {
			out = k
		}
		return err
	})
	return out, err
}

// createIAMKey registers the cluster's key; a registration without an
// answer is looked for by its public key before it is sent again.
func createIAMKey(ctx context.Context, st *run.Step, c *scaleway.Session, m run.Mutation, name, line string) (*iam.SSHKey, error) {
	var key *iam.SSHKey
	err := sendOnce(ctx, st, c, m, func(ctx context.Context) error {
		k, err := c.CreateSSHKey(ctx, name, line)
		key = k
		return err
	}, func(ctx context.Context) (bool, error) {
		k, err := c.FindSSHKey(ctx, line)
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
// step that needs it gets run.ErrPlanned. Call with c.Key held.
func planOnce(ctx context.Context, st *run.Step, c *scaleway.Session, m run.Mutation) error {
	if c.Key.Planned {
		return run.ErrPlanned
	}
	c.Key.Planned = true
	return st.Mutate(ctx, m, nil)
}
