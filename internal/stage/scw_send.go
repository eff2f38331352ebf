package stage

import (
	"context"
	"fmt"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// The Scaleway requests tripod changes things with, as Mutation.Request
// names them: the method and path scaleway-sdk-go v1.39.0 sends, with the
// parameters named as the API documents them.
const (
	reqDediboxOrder   = "POST /dedibox/v1/zones/{zone}/servers"
	reqDediboxTags    = "POST /dedibox/v1/zones/{zone}/servers/{server_id}/tags"
	reqDediboxInstall = "POST /dedibox/v1/zones/{zone}/servers/{server_id}/install"
	reqMetalOrder     = "POST /baremetal/v1/zones/{zone}/servers"
	reqMetalUpdate    = "PATCH /baremetal/v1/zones/{zone}/servers/{server_id}"
	reqMetalInstall   = "POST /baremetal/v1/zones/{zone}/servers/{server_id}/install"
	reqIAMKeyCreate   = "POST /iam/v1alpha1/ssh-keys"
	reqIAMKeyUpdate   = "PATCH /iam/v1alpha1/ssh-keys/{ssh_key_id}"
	reqRPNCreate      = "POST /dedibox/v1/rpnv2/groups"
	reqRPNAddMembers  = "POST /dedibox/v1/rpnv2/groups/{group_id}/members"
	reqRPNVLAN        = "PATCH /dedibox/v1/rpnv2/groups/{group_id}/vlan"
	reqVPCCreatePN    = "POST /vpc/v2/regions/{region}/private-networks"
	reqMetalAttachPN  = "POST /baremetal/v3/zones/{zone}/servers/{server_id}/private-networks"
)

// byProvider picks the Dedibox or the Elastic Metal request.
func byProvider(p inventory.Provider, dedibox, metal string) string {
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

// sendOnce sends a create that must not happen twice (an order, a group, a
// key), each send through the gate as its own mutation. When a send gets no
// answer (a 5xx, a cut attempt, a lost connection) or a transient refusal,
// it waits for Scaleway to settle and calls look, which reports whether the
// send took effect after all; only if not is it sent again. An answered
// refusal (out of stock, quota, a 400) ends it at once, with the API's words.
func (e *Env) sendOnce(ctx context.Context, st *run.Step, m run.Mutation, send func(context.Context) error, look func(context.Context) (bool, error)) error {
	for attempt := 1; ; attempt++ {
		err := st.Mutate(ctx, m, send)
		if !resendable(ctx, err) || attempt == sendAttempts {
			return err
		}
		st.Warn("%s %s got no usable answer (%v); looking for it before sending it again", m.Verb, m.Object, err)
		if werr := sleep(ctx, e.Timing.Interval(sendSettle)); werr != nil {
			return err
		}
		found, lerr := look(ctx)
		if lerr != nil {
			return fmt.Errorf("%w (and looking for its result failed: %v)", err, lerr)
		}
		if found {
			st.Progress("%s %s had taken effect; not sent again", m.Verb, m.Object)
			return nil
		}
		e.Retries.Add("scaleway")
	}
}

// resendable reports whether a failed send may be sent again once its
// result has been looked for: it came back from the SDK without an answer,
// or with one that says to try later (429, a resource in a transient
// state). Journal errors and answered refusals are not.
func resendable(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil || !isSDK(err) {
		return false
	}
	return !scaleway.Answered(err) || scaleway.Classify(err).Class == retry.Transient
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
