package state

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"filippo.io/age"
)

// CheckReadable proves, before anything is stored or ordered, that the
// store can read back what it keeps. A plain store always can. An encrypted
// one needs an identity (TRIPOD_AGE_IDENTITY or TRIPOD_AGE_IDENTITY_FILE)
// that opens what the store seals to its recipients, and that opens a
// secret already stored (the first by name, one is enough: a store is
// sealed as a whole). Nothing is written; errors never quote a secret.
func (s *Secrets) CheckReadable() error {
	a, ok := s.sealer.(*ageSealer)
	if !ok {
		return nil
	}
	if len(a.identities) == 0 {
		return ErrNoIdentity
	}
	probe := make([]byte, 16)
	if _, err := rand.Read(probe); err != nil {
		return fmt.Errorf("failed to make a probe secret: %w", err)
	}
	sealed, err := a.Seal(probe)
	if err != nil {
		return fmt.Errorf("failed to encrypt a probe secret: %w", err)
	}
	if _, err := a.Open(sealed); err != nil {
		var nomatch *age.NoIdentityMatchError
		if errors.As(err, &nomatch) {
			return fmt.Errorf("the age identity in %s is not one of the secrets store's recipients (%s): secrets written now could not be read back; give the identity of one of them", identitySource(), filepath.Join(s.dir, recipientsFile))
		}
		return fmt.Errorf("failed to decrypt a probe secret with the age identity in %s: %w", identitySource(), err)
	}
	name, err := s.firstStored()
	if err != nil || name == "" {
		return err
	}
	if _, err := s.Get(name); err != nil {
		return fmt.Errorf("the age identity in %s does not open the stored secrets: %w", identitySource(), err)
	}
	return nil
}

// firstStored is the name of the first stored secret, "" if none.
func (s *Secrets) firstStored() (string, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return "", fmt.Errorf("failed to list the secrets store: %w", err)
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && secretNameRE.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return "", nil
	}
	sort.Strings(names)
	return names[0], nil
}

// identitySource names where the identity was read from, as
// ageIdentitiesFromEnv reads it: the variable first, else the file.
func identitySource() string {
	if os.Getenv(EnvAgeIdentity) != "" {
		return EnvAgeIdentity
	}
	return fmt.Sprintf("%s (%s)", EnvAgeIdentityFile, os.Getenv(EnvAgeIdentityFile))
}
