// Package state owns a cluster's state directory (.tripod/<cluster>/ beside
// the inventory by default): the exclusive lock that keeps two runs apart and
// recovers a dead run's lock on its own, the append-only journal of intents
// and results that makes non-idempotent creates safe to resume, the secrets
// store, and atomic, fsynced writes for every file in it. Files that hold
// secrets are 0600 and their contents never reach an error message or log.
package state
