package proxmox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	pve "github.com/Telmate/proxmox-api-go/proxmox"
)

// QemuCreateParams renders the parameters Telmate's ConfigQemu.Create would
// POST to /nodes/{node}/qemu, without sending anything, so that tripod
// sends that one request itself: through its gate as one mutation, with its
// errors intact (Create flattens the POST's error into text, which cannot
// be classified) and its task waited for on the scaled clock (Create polls
// every 2 s of real time). Telmate stays the one source of how a ConfigQemu
// maps to PVE's parameters for this host's version.
//
// Create runs against an in-memory API answering only what it reads
// (/version, /access/permissions). Any other request it would send (a disk
// resize for a size that is not whole GiB, an HA change) is refused, so a
// create that needs more than one request is an error here, not a surprise.
func (c *Client) QemuCreateParams(ctx context.Context, cfg pve.ConfigQemu) (map[string]any, error) {
	api, err := c.Typed(ctx)
	if err != nil {
		return nil, err
	}
	v, err := api.Version(ctx)
	if err != nil {
		return nil, wrap(c.ep.Node, http.MethodGet, "/version", err)
	}
	rt := &renderTransport{version: fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)}
	offline, err := pve.NewClient(c.ep.URL(), &http.Client{Transport: rt}, "", nil, "", 30, false)
	if err != nil {
		return nil, err
	}
	_, err = cfg.Create(ctx, offline)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.extra != "" {
		return nil, fmt.Errorf("creating this VM would take more than one request (also %s); tripod sends one request per change", rt.extra)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to render the VM's parameters with Telmate: %w", err)
	}
	if rt.body == nil {
		return nil, fmt.Errorf("Telmate rendered no request to create the VM")
	}
	out := map[string]any{}
	for k := range rt.body {
		out[k] = rt.body.Get(k)
	}
	return out, nil
}

// renderTransport is the in-memory API QemuCreateParams renders against.
type renderTransport struct {
	version string

	mu    sync.Mutex
	body  url.Values // the create's parameters
	extra string     // another mutating request, refused
}

func (t *renderTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	path := strings.TrimPrefix(req.URL.Path, "/api2/json")
	switch {
	case req.Method == http.MethodGet && path == "/version":
		return jsonAnswer(req, http.StatusOK, map[string]any{"data": map[string]any{"version": t.version}})
	case req.Method == http.MethodGet && path == "/access/permissions":
		return jsonAnswer(req, http.StatusOK, map[string]any{"data": map[string]any{}})
	case req.Method == http.MethodPost && strings.HasPrefix(path, "/nodes/") && strings.HasSuffix(path, "/qemu"):
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		vals, err := url.ParseQuery(string(b))
		if err != nil {
			return nil, err
		}
		t.mu.Lock()
		t.body = vals
		t.mu.Unlock()
		return jsonAnswer(req, http.StatusOK, map[string]any{"data": nil}) // "done": nothing to wait for
	}
	t.mu.Lock()
	if t.extra == "" {
		t.extra = req.Method + " " + path
	}
	t.mu.Unlock()
	return jsonAnswer(req, http.StatusNotImplemented, map[string]any{"data": nil, "message": "not rendered offline"})
}

func jsonAnswer(req *http.Request, status int, v any) (*http.Response, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &http.Response{
		StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(b)),
		Request: req, ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}
