package scaleway

import (
	"context"
	"fmt"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/retry"
)

// The Scaleway requests tripod changes things with, as Mutation.Request
// names them: the method and path scaleway-sdk-go v1.39.0 sends, with the
// parameters named as the API documents them.
const (
	ReqDediboxOrder     = "POST /dedibox/v1/zones/{zone}/servers"
	ReqDediboxTags      = "POST /dedibox/v1/zones/{zone}/servers/{server_id}/tags"
	ReqDediboxInstall   = "POST /dedibox/v1/zones/{zone}/servers/{server_id}/install"
	ReqDediboxTerminate = "DELETE /dedibox/v1/zones/{zone}/servers/{server_id}"
	ReqMetalOrder       = "POST /baremetal/v1/zones/{zone}/servers"
	ReqMetalUpdate      = "PATCH /baremetal/v1/zones/{zone}/servers/{server_id}"
	ReqMetalInstall     = "POST /baremetal/v1/zones/{zone}/servers/{server_id}/install"
	ReqMetalTerminate   = "DELETE /baremetal/v1/zones/{zone}/servers/{server_id}"
	ReqIAMKeyCreate     = "POST /iam/v1alpha1/ssh-keys"
	ReqIAMKeyUpdate     = "PATCH /iam/v1alpha1/ssh-keys/{ssh_key_id}"
	ReqRPNCreate        = "POST /dedibox/v1/rpnv2/groups"
	ReqRPNAddMembers    = "POST /dedibox/v1/rpnv2/groups/{group_id}/members"
	ReqRPNVLAN          = "PATCH /dedibox/v1/rpnv2/groups/{group_id}/vlan"
	ReqVPCCreatePN      = "POST /vpc/v2/regions/{region}/private-networks"
	ReqMetalAttachPN    = "POST /baremetal/v3/zones/{zone}/servers/{server_id}/private-networks"
)

// ByProvider picks the Dedibox or the Elastic Metal request.
func ByProvider(p inventory.Provider, dedibox, metal string) string {
	if p == inventory.ElasticMetal {
		return metal
	}
	return dedibox
}

const (
	// sendAttempts bounds how often a create that must not happen twice is
	// sent, each time after looking for what the last one may have made.
	sendAttempts = 4
	// sendSettle is how long (real time, scaled) to let Scaleway finish a
	// request whose answer was lost before looking for its result: a cut
	// request may still be processed after the connection is gone.
	sendSettle = 30 * time.Second
)

// Gate runs one send as one mutation (the stage's Step.Mutate with its
// run.Mutation); what it returns is the send's result.
type Gate func(ctx context.Context, send func(context.Context) error) error

// SendOnce sends a create that must not happen twice (an order, a group, a
// key), each send through gate as its own mutation. When a send gets no
// answer (a 5xx, a cut attempt, a lost connection) or a transient refusal,
// it waits for Scaleway to settle and calls look, which reports whether the
// send took effect after all; only if not is it sent again. An answered
// refusal (out of stock, quota, a 400) ends it at once, with the API's
// words. what names the request in warn's and progress's sentences.
func (s *Session) SendOnce(ctx context.Context, what string, gate Gate, warn, progress Progress, send func(context.Context) error, look func(context.Context) (bool, error)) error {
	for attempt := 1; ; attempt++ {
		err := gate(ctx, send)
		if !Resendable(ctx, err) || attempt == sendAttempts {
			return err
		}
		warn("%s got no usable answer (%v); looking for it before sending it again", what, err)
		if werr := s.Settle(ctx); werr != nil {
			return err
		}
		found, lerr := look(ctx)
		if lerr != nil {
			return fmt.Errorf("%w (and looking for its result failed: %v)", err, lerr)
		}
		if found {
			progress("%s had taken effect; not sent again", what)
			return nil
		}
		s.retries.Add("scaleway")
	}
}

// Settle waits (real time, scaled) for Scaleway to finish a request whose
// answer was lost, or until ctx ends.
func (s *Session) Settle(ctx context.Context) error {
	return retry.Sleep(ctx, s.timing.Interval(sendSettle))
}
