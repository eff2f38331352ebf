package proxmox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	pve "github.com/Telmate/proxmox-api-go/proxmox"

	"github.com/tripod-dev/tripod/internal/retry"
)

func TestProbePinsAndRefusesASwappedCertificate(t *testing.T) {
	f := newFleet(t)
	ep := f.add("pve1", "DC2", "198.51.100.11", true)
	c := f.root(ep)
	if pin, _ := f.cfg.Pins.Pin("pve1"); pin != f.sim.Fingerprint("pve1") {
		t.Fatalf("pinned %q, host serves %q", pin, f.sim.Fingerprint("pve1"))
	}
	if _, err := c.GetList(context.Background(), "/nodes"); err != nil {
		t.Fatalf("pinned client: %v", err)
	}
	old := f.sim.Fingerprint("pve1")
	if err := f.sim.SwapCertificate("pve1"); err != nil {
		t.Fatal(err)
	}
	fresh, err := NewClient(f.cfg, ep)
	if err != nil {
		t.Fatal(err)
	}
	err = fresh.Login(context.Background(), "pw-pve1")
	var pin *PinMismatchError
	if !errors.As(err, &pin) {
		t.Fatalf("login against a swapped certificate = %v; want a pin mismatch", err)
	}
	msg := err.Error()
	for _, want := range []string{old, f.sim.Fingerprint("pve1"), f.cfg.Pins.Where("pve1")} {
		if !strings.Contains(msg, want) {
			t.Errorf("mismatch message lacks %q: %s", want, msg)
		}
	}
	if Classify(err).Class != retry.Fatal {
		t.Error("a pin mismatch is retried")
	}
	if strings.Contains(msg, "pw-pve1") {
		t.Error("the error carries the password")
	}
}

func TestNoPinNoClient(t *testing.T) {
	f := newFleet(t)
	ep := f.add("pve1", "DC2", "198.51.100.11", true)
	if _, err := NewClient(f.cfg, ep); err == nil || !strings.Contains(err.Error(), "no certificate is pinned") {
		t.Fatalf("client without a pin = %v", err)
	}
}

func TestLoginTokenAndErrors(t *testing.T) {
	f := newFleet(t)
	ep := f.add("pve1", "DC2", "198.51.100.11", true)
	ctx := context.Background()
	if err := f.cfg.Pins.SetPin("pve1", f.sim.Fingerprint("pve1")); err != nil {
		t.Fatal(err)
	}
	bad, _ := NewClient(f.cfg, ep)
	err := bad.Login(ctx, "wrong")
	if StatusOf(err) != 401 || Classify(err).Class != retry.Fatal || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("bad password = %v (status %d)", err, StatusOf(err))
	}
	root := f.root(ep)
	no := false
	typed, err := root.Typed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := typed.New().ApiToken.Create(ctx, pve.UserID{Name: "root", Realm: "pam"}, pve.ApiTokenConfig{Name: "tripod", PrivilegeSeparation: &no})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := NewClient(f.cfg, ep)
	if err := tok.UseToken("root@pam!tripod", string(secret)); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.GetMap(ctx, "/nodes/pve1/status"); err != nil {
		t.Fatalf("token client: %v", err)
	}
	// Creating a cluster is root@pam only: a token gets 403, fatal.
	_, err = tok.Post(ctx, "/cluster/config", map[string]any{"clustername": "c"})
	if StatusOf(err) != 403 || Classify(err).Class != retry.Fatal {
		t.Fatalf("cluster create with a token = %v", err)
	}
	if err := root.RunTask(ctx, "/cluster/config", map[string]any{"clustername": "c"}, TaskWait{}); err != nil {
		t.Fatalf("cluster create: %v", err)
	}
	_, err = root.Post(ctx, "/cluster/config", map[string]any{"clustername": "c"})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 500 || !strings.Contains(ae.Message, "already exists") || ae.Node != "pve1" {
		t.Fatalf("second create = %#v", err)
	}
}

func TestFailedTaskIsATaskError(t *testing.T) {
	f := newFleet(t)
	a := f.root(f.add("pve1", "DC2", "198.51.100.11", true))
	b := f.root(f.add("pve2", "DC3", "198.51.100.12", true))
	ctx := context.Background()
	if err := a.RunTask(ctx, "/cluster/config", map[string]any{"clustername": "c", "link0": "198.51.100.11"}, TaskWait{}); err != nil {
		t.Fatal(err)
	}
	// The wrong peer password fails inside the clusterjoin task.
	err := b.RunTask(ctx, "/cluster/config/join", map[string]any{"hostname": "198.51.100.11", "fingerprint": f.sim.Fingerprint("pve1"), "password": "nope"}, TaskWait{})
	var te *TaskError
	if !errors.As(err, &te) || te.Type != "clusterjoin" || te.Node != "pve2" || Classify(err).Class != retry.Fatal {
		t.Fatalf("join with a wrong password = %v", err)
	}
	if strings.Contains(err.Error(), "nope") {
		t.Fatal("the error carries the password")
	}
}

func TestClassify(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, c := range []struct {
		err  error
		want retry.Class
	}{
		{&APIError{Status: 503}, retry.Transient},
		{&APIError{Status: 429}, retry.Transient},
		{&APIError{Status: 595}, retry.Transient},
		{&APIError{Status: 500}, retry.Fatal},
		{&APIError{Status: 400}, retry.Fatal},
		{fmt.Errorf("x: %w", &pve.ApiError{Code: "502"}), retry.Transient},
		{&TaskError{Status: "unexpected status"}, retry.Fatal},
		{&APIError{Err: refused}, retry.Transient},
		{errors.New("something"), retry.Fatal},
	} {
		if got := Classify(c.err).Class; got != c.want {
			t.Errorf("Classify(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestCommandsOverSSHAndTerminal(t *testing.T) {
	f := newFleet(t)
	f.add("pve1", "DC2", "198.51.100.11", true)
	f.add("em1", "fr-par-2", "198.51.100.12", false)
	sh := f.shells()
	defer sh.Close()
	ctx := context.Background()
	for _, host := range []string{"pve1", "em1"} {
		out, _, exit, err := sh.Exec(ctx, host, "hostname")
		if err != nil || exit != 0 || out != host+"\n" {
			t.Fatalf("%s: hostname = %q exit %d, %v", host, out, exit, err)
		}
		out, errOut, exit, err := sh.Exec(ctx, host, "nosuch --flag")
		if err != nil || exit != 127 || !strings.Contains(out+errOut, "command not found") {
			t.Fatalf("%s: unknown command = %q %q exit %d, %v", host, out, errOut, exit, err)
		}
		if _, _, exit, err := sh.Exec(ctx, host, "true && false"); err != nil || exit != 1 {
			t.Fatalf("%s: true && false = exit %d, %v", host, exit, err)
		}
	}
	if pin, _ := f.cfg.Pins.Pin("pve1.ssh"); !strings.HasPrefix(pin, "SHA256:") {
		t.Fatalf("SSH host key pin = %q", pin)
	}
	if pin, _ := f.cfg.Pins.Pin("em1.ssh"); pin != "" {
		t.Fatalf("a host without SSH got an SSH pin %q", pin)
	}
}

func TestSSHHostKeyMismatchIsRefused(t *testing.T) {
	f := newFleet(t)
	f.add("pve1", "DC2", "198.51.100.11", true)
	if err := f.cfg.Pins.SetPin("pve1.ssh", "SHA256:AAAA"); err != nil {
		t.Fatal(err)
	}
	sh := f.shells()
	_, _, _, err := sh.Exec(context.Background(), "pve1", "hostname")
	var pin *PinMismatchError
	if !errors.As(err, &pin) || pin.What != "SSH host key" || !strings.Contains(err.Error(), "SHA256:AAAA") {
		t.Fatalf("changed host key = %v", err)
	}
}

func TestUPIDParsing(t *testing.T) {
	upid := "UPID:pve1:00010D94:001CA6EA:6124E1B9:clusterjoin::root@pam:"
	if n, ok := upidNode(upid); !ok || n != "pve1" || upidType(upid) != "clusterjoin" {
		t.Fatalf("upid %s: node %q ok %v type %q", upid, n, ok, upidType(upid))
	}
	if _, ok := upidNode("OK"); ok {
		t.Fatal("OK parsed as a UPID")
	}
}
