package talos

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/hashicorp/go-multierror"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tripod-dev/tripod/internal/retry"
)

func TestClassifyByStatusCode(t *testing.T) {
	cases := map[codes.Code]retry.Class{
		codes.Unavailable: retry.Transient, codes.DeadlineExceeded: retry.Transient,
		codes.FailedPrecondition: retry.Transient, codes.Canceled: retry.Transient,
		codes.AlreadyExists: retry.Fatal, codes.PermissionDenied: retry.Fatal,
		codes.InvalidArgument: retry.Fatal, codes.Unimplemented: retry.Fatal,
	}
	for code, want := range cases {
		base := status.Error(code, "whatever the text says")
		wrapped := []error{
			base,
			fmt.Errorf("failed to bootstrap: %w", base),
			multierror.Append(nil, &client.NodeError{Node: "10.20.0.50", Err: base}),
		}
		for _, err := range wrapped {
			if got := Classify(err).Class; got != want {
				t.Errorf("%s (%T): class %v, want %v", code, err, got, want)
			}
		}
		if Code(fmt.Errorf("x: %w", base)) != code {
			t.Errorf("Code does not find %s through wrapping", code)
		}
	}
	if Classify(fmt.Errorf("dial: %w", syscall.ECONNREFUSED)).Class != retry.Transient {
		t.Error("a refused connection without a status is not transient")
	}
	if Classify(errors.New("plain")).Class != retry.Fatal {
		t.Error("an unknown error is not fatal")
	}
}
