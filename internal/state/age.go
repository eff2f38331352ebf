package state

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// Encryption at rest of the secrets store with age (filippo.io/age), the way
// SOPS and talm users keep secrets in a private repository: secrets are
// sealed to one or more age recipients, and opened with an identity given
// in TRIPOD_AGE_IDENTITY (the AGE-SECRET-KEY-1... line) or in the file named
// by TRIPOD_AGE_IDENTITY_FILE. Once a store is encrypted it stays so: its
// recipients are recorded in secrets/.age-recipients.

// The environment variables an age identity is read from.
const (
	EnvAgeIdentity     = "TRIPOD_AGE_IDENTITY"
	EnvAgeIdentityFile = "TRIPOD_AGE_IDENTITY_FILE"
)

const recipientsFile = ".age-recipients"

type ageSealer struct {
	recipients []age.Recipient
	identities []age.Identity // nil: secrets can be written, not read
}

func (a *ageSealer) Seal(plain []byte) ([]byte, error) {
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, a.recipients...)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ErrNoIdentity means the store is encrypted and no identity was given.
var ErrNoIdentity = errors.New("the secrets store is encrypted with age; set " + EnvAgeIdentity + " or " + EnvAgeIdentityFile + " to an identity of one of its recipients")

func (a *ageSealer) Open(sealed []byte) ([]byte, error) {
	if !isAgeArmor(sealed) {
		return nil, errors.New("the file is not age-encrypted although the store is")
	}
	if len(a.identities) == 0 {
		return nil, ErrNoIdentity
	}
	r, err := age.Decrypt(armor.NewReader(bytes.NewReader(sealed)), a.identities...)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func isAgeArmor(b []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(b), []byte(armor.Header))
}

// ageIdentitiesFromEnv reads the identity from the environment, if any.
func ageIdentitiesFromEnv() ([]age.Identity, error) {
	text := os.Getenv(EnvAgeIdentity)
	if f := os.Getenv(EnvAgeIdentityFile); text == "" && f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("failed to read %s: %w", EnvAgeIdentityFile, err)
		}
		text = string(b)
	}
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	ids, err := age.ParseIdentities(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("the age identity in %s/%s is not valid: %w", EnvAgeIdentity, EnvAgeIdentityFile, err)
	}
	return ids, nil
}

// storeSealer decides how the store in dir seals: with the recipients
// recorded there, or, when recipients is given, with those (recorded from
// now on, and every existing secret re-sealed to them).
func storeSealer(dir, recipients string) (Sealer, bool, error) {
	path := filepath.Join(dir, recipientsFile)
	recorded, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("failed to read %s: %w", path, err)
	}
	text := strings.TrimSpace(recipients)
	if text == "" {
		text = strings.TrimSpace(string(recorded))
	}
	if text == "" {
		return plainSealer{}, false, nil
	}
	rs, err := age.ParseRecipients(strings.NewReader(strings.ReplaceAll(text, ",", "\n")))
	if err != nil {
		return nil, false, fmt.Errorf("--encrypt-secrets: %w", err)
	}
	ids, err := ageIdentitiesFromEnv()
	if err != nil {
		return nil, false, err
	}
	changed := strings.TrimSpace(string(recorded)) != text
	if changed {
		if err := WriteFileAtomic(path, []byte(text+"\n"), 0o600); err != nil {
			return nil, false, err
		}
	}
	return &ageSealer{recipients: rs, identities: ids}, changed, nil
}

// reseal rewrites every secret with the store's sealer: plain secrets are
// encrypted, and sealed ones re-sealed to the current recipients.
func (s *Secrets) reseal(previous Sealer) error {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !secretNameRE.MatchString(e.Name()) || e.IsDir() {
			continue
		}
		p := filepath.Join(s.dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		plain := b
		if isAgeArmor(b) {
			if plain, err = previous.Open(b); err != nil {
				return fmt.Errorf("failed to re-encrypt secret %s: %w", e.Name(), err)
			}
		}
		if err := s.Put(e.Name(), plain); err != nil {
			return err
		}
	}
	return nil
}
