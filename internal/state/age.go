package state

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// Encryption at rest with age (filippo.io/age), the way SOPS and talm users
// keep secrets in a private repository: every file holding secret material
// is sealed to one or more age recipients, and opened with an identity given
// in TRIPOD_AGE_IDENTITY (the AGE-SECRET-KEY-1... line) or in the file named
// by TRIPOD_AGE_IDENTITY_FILE. Once a store is encrypted it stays so: its
// recipients are recorded in secrets/.age-recipients.

// The environment variables an age identity is read from.
const (
	EnvAgeIdentity     = "TRIPOD_AGE_IDENTITY"
	EnvAgeIdentityFile = "TRIPOD_AGE_IDENTITY_FILE"
)

const recipientsFile = ".age-recipients"

// SealedSuffix ends the name of a file outside secrets/ that is sealed with
// age: with encryption on, kubeconfig is kept as kubeconfig.age.
const SealedSuffix = ".age"

type ageSealer struct {
	recipients []age.Recipient
	identities []age.Identity // nil: secrets can be written, not read
	source     string         // where the identities came from, for errors
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
var ErrNoIdentity = errors.New("no age identity is set (" + EnvAgeIdentity + " or " + EnvAgeIdentityFile + ")")

// ErrWrongIdentity means the identity given opens none of the recipients a
// file is sealed to.
var ErrWrongIdentity = errors.New("the age identity given is not one of the recipients")

// errNotSealed means a file of an encrypted store is in clear.
var errNotSealed = errors.New("the file is not age-encrypted although the store is")

func (a *ageSealer) Open(sealed []byte) ([]byte, error) {
	if !isAgeArmor(sealed) {
		return nil, errNotSealed
	}
	if len(a.identities) == 0 {
		return nil, ErrNoIdentity
	}
	r, err := age.Decrypt(armor.NewReader(bytes.NewReader(sealed)), a.identities...)
	var nm *age.NoIdentityMatchError
	if errors.As(err, &nm) {
		return nil, ErrWrongIdentity
	}
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// openError is the one sentence for a sealed file at path that did not
// open: what is wrong and what to do. It never suggests rebuilding anything.
func (a *ageSealer) openError(path string, err error) error {
	const recorded = "secrets/" + recipientsFile
	switch {
	case errors.Is(err, ErrNoIdentity):
		return fmt.Errorf("%s is sealed with age and no identity is set: set %s or %s to the identity of a recipient in %s", path, EnvAgeIdentity, EnvAgeIdentityFile, recorded)
	case errors.Is(err, ErrWrongIdentity):
		return fmt.Errorf("%s is sealed to recipients the age identity in %s does not match: use the identity of a recipient in %s", path, a.source, recorded)
	case errors.Is(err, errNotSealed):
		return fmt.Errorf("%s is in clear in a store sealed with age: restore the sealed file, or delete it if tripod generates it", path)
	}
	return fmt.Errorf("%s is not a readable age file (%v): restore it from a backup", path, err)
}

func isAgeArmor(b []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(b), []byte(armor.Header))
}

// ageIdentitiesFromEnv reads the identity from the environment, if any, and
// says where it came from.
func ageIdentitiesFromEnv() ([]age.Identity, string, error) {
	text, source := os.Getenv(EnvAgeIdentity), EnvAgeIdentity
	if f := os.Getenv(EnvAgeIdentityFile); text == "" && f != "" {
		source = EnvAgeIdentityFile + " (" + f + ")"
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, source, fmt.Errorf("failed to read the age identity file %s named by %s: %w", f, EnvAgeIdentityFile, err)
		}
		text = string(b)
	}
	if strings.TrimSpace(text) == "" {
		return nil, "", nil
	}
	ids, err := age.ParseIdentities(strings.NewReader(text))
	if err != nil {
		return nil, source, fmt.Errorf("the age identity in %s is not valid: %w", source, err)
	}
	return ids, source, nil
}

// storeSealer decides how the store in dir seals: with the recipients
// recorded there, or, when recipients is given, with those. It writes
// nothing: changed says the recipients differ from the recorded ones, and
// want is the text to record once everything is re-sealed.
func storeSealer(dir, recipients string) (s Sealer, changed bool, want string, err error) {
	path := filepath.Join(dir, recipientsFile)
	recorded, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, false, "", fmt.Errorf("failed to read %s: %w", path, err)
	}
	text := strings.TrimSpace(recipients)
	if text == "" {
		text = strings.TrimSpace(string(recorded))
	}
	if text == "" {
		return plainSealer{}, false, "", nil
	}
	text = strings.Join(strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == '\n' || r == ' ' }), "\n")
	rs, err := age.ParseRecipients(strings.NewReader(text))
	if err != nil {
		if recipients == "" {
			return nil, false, "", fmt.Errorf("%s does not hold valid age recipients (%v): restore it", path, err)
		}
		return nil, false, "", fmt.Errorf("--encrypt-secrets: %w", err)
	}
	ids, source, err := ageIdentitiesFromEnv()
	if err != nil {
		return nil, false, "", err
	}
	changed = normRecipients(string(recorded)) != text
	return &ageSealer{recipients: rs, identities: ids, source: source}, changed, text, nil
}

func normRecipients(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, ",", "\n")), "\n")
}

// checkIdentity proves the identity given opens what is sealed to the
// recipients, by sealing a random probe to them and opening it: a run that
// could seal but not read back would fail after it had ordered servers.
func (a *ageSealer) checkIdentity(dir string) error {
	recorded := filepath.Join(dir, recipientsFile)
	if len(a.identities) == 0 {
		return fmt.Errorf("the secrets store %s seals with age, and no identity is set to open what it seals: set %s or %s to the identity of a recipient (--encrypt-secrets, or %s once recorded); nothing was changed", dir, EnvAgeIdentity, EnvAgeIdentityFile, recorded)
	}
	probe := make([]byte, 16)
	rand.Read(probe)
	sealed, err := a.Seal(probe)
	if err != nil {
		return fmt.Errorf("failed to seal to the age recipients: %w", err)
	}
	got, err := a.Open(sealed)
	if errors.Is(err, ErrWrongIdentity) {
		return fmt.Errorf("the age identity in %s is not one of the recipients the secrets store %s seals to: use the identity of one of them, or add its recipient to --encrypt-secrets; nothing was changed", a.source, dir)
	}
	if err != nil || !bytes.Equal(got, probe) {
		return fmt.Errorf("the age identity in %s cannot open what is sealed to the store's recipients (%v); nothing was changed", a.source, err)
	}
	return nil
}
