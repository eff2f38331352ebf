// Package state owns a cluster's state directory (.tripod/<cluster>/ beside
// the inventory by default): the exclusive lock that keeps two runs apart and
// recovers a dead run's lock on its own, the append-only journal of intents
// and results that makes non-idempotent creates safe to resume, the secrets
// store, and atomic, fsynced writes for every file in it. Files that hold
// secrets are 0600 and their contents never reach an error message or log.
//
// Encryption at rest (--encrypt-secrets, age.go) covers every file holding
// secret material, not only secrets/: the Talos machine configs (they embed
// the cluster's CA keys and tokens), the talosconfig and the kubeconfig are
// written through Dir.WriteSecretFile and kept sealed as <name>.age, never
// in clear. They are sealed rather than generated on demand: the kubeconfig
// is minted by the cluster and cannot be made again offline, a talosconfig
// made anew carries a new key pair each time, and the machine configs are
// what an operator inspects and a re-run compares against. tripod kubeconfig
// and tripod talosconfig open them to where the user asks. An encrypted store opens
// only with an identity that reads back what is sealed to its recipients,
// and a change of recipients re-seals only once every sealed file opened
// with the current identity; otherwise nothing changes.
package state
