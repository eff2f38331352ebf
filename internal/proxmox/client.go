package proxmox

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	pve "github.com/Telmate/proxmox-api-go/proxmox"

	"github.com/tripod-dev/tripod/internal/retry"
)

// Dialer is the one dialer (internal/netx) as this package uses it.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
	HTTPClient(tlsConf *tls.Config, timeout time.Duration) *http.Client
}

// Config is what every client of a run shares.
type Config struct {
	Dialer  Dialer
	Timing  retry.Timing
	Retries *retry.Counter
	Pins    PinStore
}

// Endpoint is one Proxmox VE host as tripod reaches it.
type Endpoint struct {
	Node    string // the Proxmox node name (the host's name)
	Address string // its public address: the API answers on 8006, SSH on 22
}

// APIAddress is host:8006.
func (ep Endpoint) APIAddress() string { return net.JoinHostPort(ep.Address, "8006") }

// URL is the API base Telmate appends paths to.
func (ep Endpoint) URL() string { return "https://" + ep.APIAddress() + "/api2/json" }

// Client is a Telmate client for one host, pinned to the host's certificate
// and authenticated with a root@pam ticket or an API token.
type Client struct {
	ep     Endpoint
	cfg    Config
	tls    *tls.Config
	api    *pve.Client
	ticket string // root@pam ticket, when logged in with one
	issued time.Time

	mu    sync.Mutex
	typed bool // Telmate's first-use caches are filled
}

// NewClient builds an unauthenticated client for ep that accepts only the
// certificate pinned for ep.Node. There must be a pin: first contact goes
// through Probe, whose answer the caller pins.
func NewClient(cfg Config, ep Endpoint) (*Client, error) {
	pin, err := cfg.Pins.Pin(ep.Node)
	if err != nil {
		return nil, err
	}
	if pin == "" {
		return nil, fmt.Errorf("no certificate is pinned for %s (%s): the os stage pins it at first contact after the install", ep.Node, cfg.Pins.Where(ep.Node))
	}
	tlsConf := pinnedTLS(ep, pin, cfg.Pins.Where(ep.Node))
	hc := &http.Client{Transport: &retry.Transport{
		Base: cfg.Dialer.HTTPClient(tlsConf, 0).Transport, API: "proxmox", Counter: cfg.Retries, Timing: cfg.Timing,
		Replayable: isLogin,
	}}
	// Telmate waits for its own tasks (typed calls) this long, in seconds,
	// polling every 2 s of real time. Each poll is one request through the
	// transport, cut after its attempt timeout and retried, so a hung status
	// request cannot stall it. tripod sends its creates, starts and other
	// task-starting requests itself (RunTask, WaitTask on the scaled clock);
	// only a VM's drift fixes (config update, resize) still wait this way.
	taskTimeout := int(cfg.Timing.Deadline(15 * time.Minute).Seconds())
	api, err := pve.NewClient(ep.URL(), hc, "", nil, "", max(taskTimeout, 30), false)
	if err != nil {
		return nil, fmt.Errorf("failed to build the Proxmox client for %s: %w", ep.Node, err)
	}
	return &Client{ep: ep, cfg: cfg, tls: tlsConf, api: api}, nil
}

// isLogin recognises a ticket login: a POST that only issues a ticket, so
// resending it after a dropped connection (pveproxy restarts after a join
// and cuts its connections) is harmless.
func isLogin(r *http.Request) bool { return replayable(r.Method, r.URL.Path) }

// replayable is isLogin by method and path, as an APIError records them.
func replayable(method, path string) bool {
	return method == http.MethodPost && strings.HasSuffix(path, "/access/ticket")
}

// Endpoint is the host this client talks to.
func (c *Client) Endpoint() Endpoint { return c.ep }

// Node is the host's node name.
func (c *Client) Node() string { return c.ep.Node }

// Typed is the underlying Telmate client, for its typed calls. Telmate
// caches the PVE version on first use without holding its lock while it
// checks, so concurrent first calls race; Typed fills the cache once before
// handing the client out.
func (c *Client) Typed(ctx context.Context) (*pve.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.typed {
		if _, err := c.api.GetVersion(ctx); err != nil {
			return nil, wrap(c.ep.Node, http.MethodGet, "/version", err)
		}
		c.typed = true
	}
	return c.api, nil
}

// Login authenticates as root@pam with password and keeps the ticket (the
// node terminal needs it as a cookie). A wrong password is a 401.
func (c *Client) Login(ctx context.Context, password string) error {
	body, err := c.api.CreateItemReturnStatus(ctx, map[string]any{"username": "root@pam", "password": password}, "/access/ticket")
	if err != nil {
		return wrap(c.ep.Node, http.MethodPost, "/access/ticket", err)
	}
	var env struct {
		Data struct {
			Ticket string `json:"ticket"`
			CSRF   string `json:"CSRFPreventionToken"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil || env.Data.Ticket == "" {
		return &APIError{Node: c.ep.Node, Method: http.MethodPost, Path: "/access/ticket", Message: "the login answer carries no ticket"}
	}
	c.api.SetTicket(env.Data.Ticket, env.Data.CSRF)
	c.api.Username = "root@pam" // Telmate's typed clients (New()) derive the user from it
	c.ticket, c.issued = env.Data.Ticket, time.Now()
	return nil
}

// TicketAge is how long ago the ticket was issued (PVE tickets last 2 h).
func (c *Client) TicketAge() time.Duration { return time.Since(c.issued) }

// UseToken authenticates with the API token fullID ("root@pam!tripod").
func (c *Client) UseToken(fullID, secret string) error {
	var id pve.ApiTokenID
	if err := id.Parse(fullID); err != nil {
		return fmt.Errorf("API token ID %q: %w", fullID, err)
	}
	c.api.SetAPIToken(id, pve.ApiTokenSecret(secret))
	return nil
}

// Envelope GETs path and returns the whole answer ({"data": ..., and extra
// keys such as the network's "changes"}).
func (c *Client) Envelope(ctx context.Context, path string) (map[string]any, error) {
	m, err := c.api.GetItemList(ctx, path)
	if err != nil {
		return nil, wrap(c.ep.Node, http.MethodGet, path, err)
	}
	return m, nil
}

// Get GETs path and returns its data.
func (c *Client) Get(ctx context.Context, path string) (any, error) {
	m, err := c.Envelope(ctx, path)
	if err != nil {
		return nil, err
	}
	return m["data"], nil
}

// GetMap GETs an object.
func (c *Client) GetMap(ctx context.Context, path string) (map[string]any, error) {
	d, err := c.Get(ctx, path)
	if err != nil {
		return nil, err
	}
	m, _ := d.(map[string]any)
	if m == nil {
		return nil, &APIError{Node: c.ep.Node, Method: http.MethodGet, Path: path, Message: "the answer is not an object"}
	}
	return m, nil
}

// GetList GETs a list of objects.
func (c *Client) GetList(ctx context.Context, path string) ([]map[string]any, error) {
	d, err := c.Get(ctx, path)
	if err != nil {
		return nil, err
	}
	items, _ := d.([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// Post POSTs params to path once and returns the answer's data: a UPID for
// asynchronous endpoints, null for synchronous ones.
func (c *Client) Post(ctx context.Context, path string, params map[string]any) (any, error) {
	body, err := c.api.CreateItemReturnStatus(ctx, params, path)
	if err != nil {
		return nil, wrap(c.ep.Node, http.MethodPost, path, err)
	}
	return decodeData(c.ep.Node, http.MethodPost, path, body)
}

// Put PUTs params to path once and returns the answer's data.
func (c *Client) Put(ctx context.Context, path string, params map[string]any) (any, error) {
	body, err := c.api.UpdateItemReturnStatus(ctx, params, path)
	if err != nil {
		return nil, wrap(c.ep.Node, http.MethodPut, path, err)
	}
	return decodeData(c.ep.Node, http.MethodPut, path, body)
}

// Delete DELETEs path once.
func (c *Client) Delete(ctx context.Context, path string) error {
	return wrap(c.ep.Node, http.MethodDelete, path, c.api.Delete(ctx, path))
}

func decodeData(node, method, path, body string) (any, error) {
	if body == "" {
		return nil, nil
	}
	var env struct{ Data any }
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		return nil, &APIError{Node: node, Method: method, Path: path, Message: "unreadable answer", Err: err}
	}
	return env.Data, nil
}
