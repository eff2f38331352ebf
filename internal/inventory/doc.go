// Package inventory owns the declarative description of one cluster: the
// versioned types of the `tripod.dev/v1alpha1` `Cluster` file, the strict
// loader that reports every problem with file, line, column and YAML path,
// the defaulting pass, validation (errors and warnings, all at once), the
// built-in table of Scaleway offer capacities, the deterministic address and
// VM plan derived from the inventory, and the JSON Schema editors use. It
// knows nothing of execution or remote APIs: the inventory is immutable
// desired state once loaded.
package inventory
