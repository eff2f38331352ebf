package scaleway

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// The IAM SSH key registry (/iam/v1alpha1/ssh-keys). Elastic Metal and
// Dedibox installs both name keys by these IDs.

type sshKeyW struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	PublicKey      string    `json:"public_key"`
	Fingerprint    string    `json:"fingerprint"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	OrganizationID string    `json:"organization_id"`
	ProjectID      string    `json:"project_id"`
	Disabled       bool      `json:"disabled"`
}

// wire shows the key without its comment, as the recorded answers do.
func (s *Sim) keyWire(k *sshKey) sshKeyW {
	f := strings.Fields(k.Line)
	return sshKeyW{
		ID: k.ID, Name: k.Name, PublicKey: f[0] + " " + f[1], Fingerprint: k.Fingerprint,
		CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt, OrganizationID: s.creds.OrganizationID,
		ProjectID: k.ProjectID, Disabled: k.Disabled,
	}
}

// fingerprint is the gateway's "256 MD5:aa:bb:... (ssh-ed25519)" form.
func fingerprint(line string) (string, error) {
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return "", err
	}
	bits := 256
	if ck, ok := pub.(ssh.CryptoPublicKey); ok {
		switch k := ck.CryptoPublicKey().(type) {
		case *rsa.PublicKey:
			bits = k.N.BitLen()
		case *ecdsa.PublicKey:
			bits = k.Curve.Params().BitSize
		}
	}
	return fmt.Sprintf("%d MD5:%s (%s)", bits, ssh.FingerprintLegacyMD5(pub), pub.Type()), nil
}

func (s *Sim) createSSHKey(r *http.Request, now time.Time) (any, error) {
	var req struct {
		Name      string  `json:"name"`
		PublicKey string  `json:"public_key"`
		ProjectID *string `json:"project_id"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	project, err := s.requestProject(req.ProjectID, nil, "ssh_key")
	if err != nil {
		return nil, err
	}
	line := strings.TrimSpace(req.PublicKey)
	fp, err := fingerprint(line)
	if err != nil {
		return nil, invalidArg("public_key", "constraint", "not a valid SSH public key")
	}
	if req.Name == "" {
		req.Name = "key-" + itoa(len(s.w.Keys)+1)
	}
	k := &sshKey{ID: s.newUUID(), Name: req.Name, Line: line, Fingerprint: fp, ProjectID: project, CreatedAt: now, UpdatedAt: now}
	s.w.Keys = append(s.w.Keys, k)
	return s.keyWire(k), nil
}

func (s *Sim) keyFromPath(r *http.Request) (*sshKey, error) {
	id, err := pathUUID(r, "ssh_key_id")
	if err != nil {
		return nil, err
	}
	for _, k := range s.w.Keys {
		if k.ID == id {
			return k, nil
		}
	}
	return nil, notFound("ssh_key", id)
}

func (s *Sim) getSSHKey(r *http.Request, _ time.Time) (any, error) {
	k, err := s.keyFromPath(r)
	if err != nil {
		return nil, err
	}
	return s.keyWire(k), nil
}

func (s *Sim) updateSSHKey(r *http.Request, now time.Time) (any, error) {
	k, err := s.keyFromPath(r)
	if err != nil {
		return nil, err
	}
	var req struct {
		Name     *string `json:"name"`
		Disabled *bool   `json:"disabled"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if req.Name != nil {
		k.Name = *req.Name
	}
	if req.Disabled != nil {
		k.Disabled = *req.Disabled
	}
	k.UpdatedAt = now
	return s.keyWire(k), nil
}

// deleteSSHKey answers 204 with an empty body, as recorded.
func (s *Sim) deleteSSHKey(r *http.Request, _ time.Time) (any, error) {
	k, err := s.keyFromPath(r)
	if err != nil {
		return nil, err
	}
	for i, x := range s.w.Keys {
		if x == k {
			s.w.Keys = append(s.w.Keys[:i], s.w.Keys[i+1:]...)
			break
		}
	}
	return nil, nil
}

func (s *Sim) listSSHKeys(r *http.Request, _ time.Time) (any, error) {
	q := r.URL.Query()
	var all []sshKeyW
	for _, k := range s.w.Keys {
		switch {
		case q.Get("name") != "" && !strings.Contains(k.Name, q.Get("name")),
			q.Get("project_id") != "" && q.Get("project_id") != k.ProjectID,
			q.Get("organization_id") != "" && q.Get("organization_id") != s.creds.OrganizationID,
			q.Get("disabled") != "" && q.Get("disabled") != fmt.Sprint(k.Disabled):
			continue
		}
		all = append(all, s.keyWire(k))
	}
	lo, hi, err := page(r, len(all))
	if err != nil {
		return nil, err
	}
	return map[string]any{"ssh_keys": nonNil(all[lo:hi]), "total_count": len(all)}, nil
}

// resolveKeys turns key IDs from an install request into authorized_keys
// lines; unknown, foreign or disabled keys are refused.
func (s *Sim) resolveKeys(ids []string, project, arg string) ([]string, error) {
	var lines []string
	for _, id := range ids {
		var found *sshKey
		for _, k := range s.w.Keys {
			if k.ID == id && k.ProjectID == project && !k.Disabled {
				found = k
			}
		}
		if found == nil {
			return nil, invalidArg(arg, "constraint", "unknown SSH key "+id)
		}
		lines = append(lines, found.Line)
	}
	return lines, nil
}
