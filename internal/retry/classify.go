package retry

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// Class is what a failed attempt means for the next one.
type Class int

// The classes.
const (
	// Fatal errors stop at once: retrying cannot help (400, 403, not found,
	// out of stock, invalid config).
	Fatal Class = iota
	// Transient errors are retried after a backoff (5xx, 429, Unavailable,
	// connection refused or reset, a hung attempt cut by its timeout).
	Transient
)

// Decision is a classification with an optional server-given delay.
type Decision struct {
	Class Class
	After time.Duration // Retry-After, when the server said so
}

// Classifier decides about a non-nil error.
type Classifier func(error) Decision

type marked struct {
	err   error
	class Class
	after time.Duration
}

func (m *marked) Error() string { return m.err.Error() }
func (m *marked) Unwrap() error { return m.err }

// MarkTransient marks err as worth retrying, after the given delay if > 0.
func MarkTransient(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return &marked{err: err, class: Transient, after: after}
}

// MarkFatal marks err as not worth retrying.
func MarkFatal(err error) error {
	if err == nil {
		return nil
	}
	return &marked{err: err, class: Fatal}
}

// Default classifies what every client shares: explicit marks, network
// failures, and cut attempts. API layers wrap it with their status codes.
func Default(err error) Decision {
	var m *marked
	if errors.As(err, &m) {
		return Decision{Class: m.class, After: m.after}
	}
	var ne net.Error
	switch {
	case errors.Is(err, errAttemptTimeout):
		return Decision{Class: Transient}
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return Decision{Class: Transient}
	case errors.As(err, &ne) && ne.Timeout():
		return Decision{Class: Transient}
	case serverClosedIdle(err):
		return Decision{Class: Transient}
	case channelRefusal(err, transientChannel):
		// A jump host could not connect (its leg on the private network is
		// not up yet, the node is booting) or is busy.
		return Decision{Class: Transient}
	case errors.Is(err, context.DeadlineExceeded):
		// An attempt's own deadline (the caller's is checked before this).
		return Decision{Class: Transient}
	}
	return Decision{Class: Fatal}
}

var errAttemptTimeout = errors.New("attempt timed out")

// transientChannel says which refusals of an SSH direct-tcpip channel are
// worth asking again: "connect failed" (No route to host while the host's
// private leg is not up, Connection refused while the target boots) and a
// host too busy. Administratively prohibited (the sshd's policy) and an
// unknown channel type are not: the host's configuration must change.
func transientChannel(r ssh.RejectionReason) bool {
	return r == ssh.ConnectionFailed || r == ssh.ResourceShortage
}

// Busy reports whether err holds an SSH channel that the host refused as
// too busy (MaxSessions, MaxStartups): the request never reached its
// target, so asking again is right even where a timeout or a refusal would
// itself be the answer (a probe for a firewall lock-out).
func Busy(err error) bool {
	return channelRefusal(err, func(r ssh.RejectionReason) bool { return r == ssh.ResourceShortage })
}

// channelRefusal reports whether err holds an SSH channel refusal whose
// reason ok accepts, looking through joined errors (one per jump host).
func channelRefusal(err error, ok func(ssh.RejectionReason) bool) bool {
	var oc *ssh.OpenChannelError
	if errors.As(err, &oc) && ok(oc.Reason) {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if channelRefusal(e, ok) {
				return true
			}
		}
	case interface{ Unwrap() error }:
		if next := u.Unwrap(); next != nil {
			return channelRefusal(next, ok)
		}
	}
	return false
}

// ForwardRefused reports whether err is a jump host's lasting refusal to
// forward (administratively prohibited, or an unknown channel type) with
// nothing beside it worth another try: Default says Fatal. Clients whose
// protocol hides the dial error (gRPC turns it into Unavailable) ask this of
// the error their dialer returned.
func ForwardRefused(err error) bool {
	return err != nil && channelRefusal(err, func(r ssh.RejectionReason) bool { return !transientChannel(r) }) &&
		Default(err).Class == Fatal
}

// serverClosedIdle reports net/http's "server closed idle connection": the
// server hung up on a kept-alive connection (a restart, a keep-alive
// timeout) as the request went out. net/http keeps the error unexported, so
// its text is the only handle.
func serverClosedIdle(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e.Error() == "http: server closed idle connection" {
			return true
		}
	}
	return false
}
