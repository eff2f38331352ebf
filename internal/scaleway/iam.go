package scaleway

import (
	"context"
	"strings"

	iam "github.com/scaleway/scaleway-sdk-go/api/iam/v1alpha1"
	"github.com/scaleway/scaleway-sdk-go/scw"
)

// FindSSHKey finds the project's IAM key with the public key of line (an
// authorized_keys line), preferring an enabled one; nil if none.
func (s *Session) FindSSHKey(ctx context.Context, line string) (*iam.SSHKey, error) {
	want := strings.Fields(line)[:2]
	var found *iam.SSHKey
	err := s.Read(ctx, func(ctx context.Context) error {
		r, err := s.IAM.ListSSHKeys(&iam.ListSSHKeysRequest{ProjectID: &s.ProjectID}, scw.WithContext(ctx), scw.WithAllPages())
		for _, k := range listOrNil(r, err, func(r *iam.ListSSHKeysResponse) []*iam.SSHKey { return r.SSHKeys }) {
			if f := strings.Fields(k.PublicKey); len(f) >= 2 && f[0] == want[0] && f[1] == want[1] && (found == nil || found.Disabled) {
				found = k
			}
		}
		return err
	})
	return found, Wrap(err, "list the IAM SSH keys of project %s", s.ProjectID)
}

// CreateSSHKey registers line as the project's key name: sent once (the
// caller looks for it with FindSSHKey before sending it again).
func (s *Session) CreateSSHKey(ctx context.Context, name, line string) (*iam.SSHKey, error) {
	k, err := s.IAM.CreateSSHKey(&iam.CreateSSHKeyRequest{Name: name, PublicKey: line, ProjectID: s.ProjectID}, scw.WithContext(ctx))
	return k, Evidence(err)
}

// EnableSSHKey enables a disabled key: safe to repeat, so retried.
func (s *Session) EnableSSHKey(ctx context.Context, id string) (*iam.SSHKey, error) {
	var out *iam.SSHKey
	no := false
	err := s.Read(ctx, func(ctx context.Context) error {
		k, err := s.IAM.UpdateSSHKey(&iam.UpdateSSHKeyRequest{SSHKeyID: id, Disabled: &no}, scw.WithContext(ctx))
		if err == nil {
			out = k
		}
		return err
	})
	return out, Evidence(err)
}
