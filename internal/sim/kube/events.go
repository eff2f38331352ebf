package kube

import (
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// eventObjects are the events a node's life leaves in the default
// namespace, as describe node and get events show them: the kubelet's
// Starting at each start, the node controller's RegisteredNode, and the
// kubelet's NodeReady once the node is Ready. Other events (pods, the
// controllers' work) are not modelled.
func (c *Cluster) eventObjects() []object {
	var out []object
	for _, n := range c.nodeList() {
		nodeUID := uid(c.spec.Name, n.Name)
		add := func(reason, message, component string, at time.Time) {
			name := n.Name + "." + suffix(16, reason, n.Name, at.String())
			o := object{namespace: "default", name: name, created: at}
			ts := at.UTC().Format(time.RFC3339)
			o.fields = map[string]string{"involvedObject.kind": "Node", "involvedObject.name": n.Name, "involvedObject.uid": nodeUID,
				"involvedObject.namespace": "", "involvedObject.apiVersion": "v1", "involvedObject.resourceVersion": "",
				"involvedObject.fieldPath": "", "reason": reason, "reportingComponent": component, "source": component, "type": "Normal"}
			o.doc = map[string]any{"metadata": meta(o, "event", name),
				"involvedObject": map[string]string{"kind": "Node", "name": n.Name, "uid": nodeUID, "apiVersion": "v1"},
				"reason":         reason, "message": message, "type": "Normal", "count": 1,
				"source":         map[string]string{"component": component, "host": n.Name},
				"firstTimestamp": ts, "lastTimestamp": ts, "reportingComponent": component, "reportingInstance": n.Name}
			out = append(out, o)
		}
		add("RegisteredNode", "Node "+n.Name+" event: Registered Node "+n.Name+" in Controller", "node-controller", n.created)
		if since := n.KubeletSince; !since.IsZero() {
			add("Starting", "Starting kubelet.", "kubelet", since)
			if c.nodeReady(n.Node) {
				add("NodeReady", "Node "+n.Name+" status is now: NodeReady", "kubelet",
					maxTime(since.Add(c.env.Delay(simcore.OpNodeReady, n.Name)),
						c.Bootstrapped().Add(c.env.Delay(simcore.OpKubeReady, c.spec.Name))))
			}
		}
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

var eventColumns = []column{col("Last Seen", "string", 0), col("Type", "string", 0), col("Reason", "string", 0),
	col("Object", "string", 0), col("Message", "string", 0)}

func eventRow(c *Cluster, o object, _ bool) []any {
	return []any{c.age(o.created), o.doc["type"], o.doc["reason"], "node/" + o.fields["involvedObject.name"], o.doc["message"]}
}
