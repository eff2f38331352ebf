package stage

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// hostTag names the host a server is for, beside the ownership tag.
func hostTag(host string) string { return "tripod-host=" + host }

// AdoptedTag marks a server tripod adopted rather than ordered, so that
// teardown tells the two apart from the server alone, without the
// inventory: an adopted server is only released on explicit request.
const AdoptedTag = "tripod-adopted=true"

// wantTags are the tags h's server carries once it is this cluster's.
func (o owner) wantTags(h inventory.HostPlan) []string {
	tags := []string{o.tag, hostTag(h.Name), stateTag(o.state.ID)}
	if h.AdoptServerID != "" {
		tags = append(tags, AdoptedTag)
	}
	return tags
}

const (
	clusterTagPrefix = "tripod-cluster="
	hostTagPrefix    = "tripod-host="
)

// tagValue returns the value of the first tag with prefix.
func tagValue(tags []string, prefix string) (string, bool) {
	for _, t := range tags {
		if v, ok := strings.CutPrefix(t, prefix); ok {
			return v, true
		}
	}
	return "", false
}

// ownedBy says why srv cannot be h's server in this cluster, or "".
func (o owner) ownedBy(srv *scaleway.Server, h inventory.HostPlan) string {
	if c, ok := tagValue(srv.Tags, clusterTagPrefix); ok && c != o.cluster {
		return fmt.Sprintf("it carries %s%s: it belongs to another tripod cluster", clusterTagPrefix, c)
	}
	if other, ok := tagValue(srv.Tags, hostTagPrefix); ok && other != h.Name && slices.Contains(srv.Tags, o.tag) {
		return fmt.Sprintf("it carries %s%s: host %s of this cluster already uses it", hostTagPrefix, other, other)
	}
	return ""
}

// hasOurTags reports whether srv carries both the ownership and h's host tag.
func (o owner) hasOurTags(srv *scaleway.Server, h inventory.HostPlan) bool {
	return slices.Contains(srv.Tags, o.tag) && slices.Contains(srv.Tags, hostTag(h.Name))
}

// otherHost reports whether srv is tagged for another host (of any cluster).
func otherHost(srv *scaleway.Server, h inventory.HostPlan) bool {
	o, ok := tagValue(srv.Tags, hostTagPrefix)
	return ok && o != h.Name
}
