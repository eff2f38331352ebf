// Package drill holds what tripod's disaster-recovery commands share and
// decide without talking to the cluster: the backup folder (written aside
// and renamed, so a killed backup never looks complete), its manifest and
// checks, the etcd snapshot's integrity check, and the az-loss drill's
// probes, verdicts and report. The commands in internal/cli reach the
// cluster (Talos, Kubernetes, the hosts' SSH) and hand this package what
// they read.
package drill
