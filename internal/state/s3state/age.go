package s3state

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/tripod-dev/tripod/internal/state"
)

// defaultRecipients makes encryption the default for remote state: a store
// that records no recipients yet is sealed to the recipient of the identity
// given in the environment, the same identity that opens it later.
func defaultRecipients(work string, loc Location) (string, error) {
	if _, err := os.Stat(filepath.Join(work, "secrets", ".age-recipients")); err == nil {
		return "", nil
	}
	text := os.Getenv(state.EnvAgeIdentity)
	if f := os.Getenv(state.EnvAgeIdentityFile); text == "" && f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("failed to read the age identity file %s named by %s: %w", f, state.EnvAgeIdentityFile, err)
		}
		text = string(b)
	}
	if strings.TrimSpace(text) == "" {
		return "", fmt.Errorf("remote state %s keeps its secrets sealed with age: set %s (or %s) to an age identity (age-keygen makes one), or pass --encrypt-secrets age1...; nothing was stored", loc, state.EnvAgeIdentityFile, state.EnvAgeIdentity)
	}
	ids, err := age.ParseIdentities(strings.NewReader(text))
	if err != nil {
		return "", fmt.Errorf("the age identity for remote state %s is not valid: %w", loc, err)
	}
	var rs []string
	for _, id := range ids {
		if x, ok := id.(*age.X25519Identity); ok {
			rs = append(rs, x.Recipient().String())
		}
	}
	if len(rs) == 0 {
		return "", fmt.Errorf("remote state %s: the age identity is not an X25519 one, so its recipient is unknown; pass --encrypt-secrets with the recipients", loc)
	}
	return strings.Join(rs, ","), nil
}
