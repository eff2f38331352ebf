package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/proxmox"
)

// lockedBuffer is a bytes.Buffer safe for the tunnel's writes and the
// test's reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTunnelForwardsTheProxmoxUI: after up, 8006 is closed to the
// operator, and tunnel's forward to the first host's Proxmox UI answers
// TLS and the API behind it (401 without a ticket).
func TestTunnelForwardsTheProxmoxUI(t *testing.T) {
	w := startWorld(t)
	dir := t.TempDir()
	if code, _, errs := runCLI(t, "up", "-i", labInventory, "--state-dir", dir); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, errs)
	}
	if ex, err := w.Proxmox.Exposure(proxmox.DefaultOperatorSource, "lab-pve-1"); err != nil || slices.Contains(ex.Accepts, "8006/tcp") {
		t.Fatalf("after up the operator reaches %v (%v): the tunnel would not be needed", ex.Accepts, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out, errs := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runTunnel(ctx, Streams{In: strings.NewReader(""), Out: out, Err: errs}, &tunnelFlags{run: runFlags{file: labInventory, stateDir: dir, output: "text"}})
	}()
	defer func() { cancel(); <-done }()
	// The forwards are listed before the talosctl example.
	for !strings.Contains(out.String(), "talosctl -n") {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("tunnel ended: %v\n%s\n%s", err, out, errs)
		case <-time.After(50 * time.Millisecond):
		}
	}
	m := regexp.MustCompile(`Proxmox UI of (\S+)\s+(127\.0\.0\.1:\d+) -> `).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("tunnel lists no forward to a Proxmox UI:\n%s", out)
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // only the forward is under test
	}}
	resp, err := hc.Get("https://" + m[2] + "/api2/json/version")
	if err != nil {
		t.Fatalf("the Proxmox UI of %s through the tunnel: %v\n%s", m[1], err, errs)
	}
	resp.Body.Close()
	if resp.TLS == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the Proxmox UI of %s through the tunnel answered %s", m[1], resp.Status)
	}
}
