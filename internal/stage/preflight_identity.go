package stage

import (
	"fmt"

	"github.com/tripod-dev/tripod/internal/run"
)

// checkSecretsIdentity: with an encrypted secrets store, the run must be able
// to read back the root passwords, tokens and Talos bundle it stores, or it
// would order servers it then cannot install or reach.
func (s *preflight) checkSecretsIdentity(st *run.Step) error {
	e := s.env
	sec := e.State.Secrets
	if !sec.Encrypted() {
		st.Skip("the secrets store is not encrypted")
		return nil
	}
	if err := sec.CheckReadable(); err != nil {
		return fmt.Errorf("the encrypted secrets store could not be read back; nothing was ordered: %w", err)
	}
	st.Skip("the age identity opens the encrypted secrets store")
	return nil
}
