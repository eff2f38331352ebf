package stage

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/state"
)

// rootPassword is host's root password (Proxmox root@pam), generated once
// and kept in the secrets store. It never leaves this process except in the
// install request.
func rootPassword(sec *state.Secrets, host string) (string, error) {
	b, err := sec.GetOrCreate(secretRootPassword(host), newPassword)
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

// sshPublicKey is the authorized_keys line of the SSH key of cluster (its
// name), generated once in sec (but never in a dry run: ok is false while
// it does not exist then).
func sshPublicKey(sec *state.Secrets, cluster string, dryRun bool) (line string, ok bool, err error) {
	comment := "tripod-" + cluster
	var pemBytes []byte
	if dryRun {
		pemBytes, err = sec.Get(secretSSHKey)
		if errors.Is(err, state.ErrNoSecret) {
			return "", false, nil
		}
	} else {
		pemBytes, err = sec.GetOrCreate(secretSSHKey, newSSHKey(comment))
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

// haveSecret reports whether sec holds name. Only a secret that was
// never stored is absent: one that does not open (no identity, a wrong one,
// a damaged file) or that others can read is an error saying so, never a
// reason to act as if it were missing.
func haveSecret(sec *state.Secrets, name string) (bool, error) {
	_, err := sec.Get(name)
	if errors.Is(err, state.ErrNoSecret) {
		return false, nil
	}
	return err == nil, err
}
