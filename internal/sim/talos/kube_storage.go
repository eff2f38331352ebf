package talos

import (
	"errors"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// kubeStorage is what a cluster's API server stores its objects in: the
// cluster's etcd, reached through the client of one of its running
// members, as kube-apiserver on a control plane reaches its local member.
type kubeStorage struct {
	ns  *Nodes
	key string
}

// Etcd prefers a member that follows a leader, so a lone member cut off
// from its quorum is used only when no other runs (and then fails as it
// would: linearizable reads and writes time out).
func (s kubeStorage) Etcd() (*clientv3.Client, error) {
	ms := s.ns.members(s.key)
	for _, m := range ms {
		if m.leader() != 0 {
			return m.cli, nil
		}
	}
	if len(ms) > 0 {
		return ms[0].cli, nil
	}
	return nil, errors.New(`dial tcp 127.0.0.1:2379: connect: connection refused`)
}
