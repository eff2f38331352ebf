package proxmox

import (
	"context"
	"fmt"
	"net/http"

	pve "github.com/Telmate/proxmox-api-go/proxmox"
)

var rootPAM = pve.UserID{Name: "root", Realm: "pam"}

// Tokens lists root@pam's API token names, through Telmate's typed call.
func (c *Client) Tokens(ctx context.Context) ([]string, error) {
	raw, err := c.api.New().ApiToken.List(ctx, rootPAM)
	if err != nil {
		return nil, wrap(c.ep.Node, http.MethodGet, "/access/users/root@pam/token", err)
	}
	var out []string
	for t := range raw.Iter() {
		out = append(out, t.GetName().String())
	}
	return out, nil
}

// CreateToken creates root@pam's token name without privilege separation
// (it acts with root@pam's privileges) and returns its secret, which PVE
// shows only this once. It is one POST: Telmate's typed create sends it
// again after a transport error, which for a create that landed is "Token
// already exists" and a secret lost.
func (c *Client) CreateToken(ctx context.Context, name, comment string) (string, error) {
	path := "/access/users/root@pam/token/" + name
	data, err := c.Post(ctx, path, map[string]any{"privsep": 0, "comment": comment})
	if err != nil {
		return "", err
	}
	m, _ := data.(map[string]any)
	secret, _ := m["value"].(string)
	if secret == "" {
		return "", &APIError{Node: c.ep.Node, Method: http.MethodPost, Path: path, Message: "the answer carries no token secret"}
	}
	return secret, nil
}

// DeleteToken deletes root@pam's token name, with one DELETE.
func (c *Client) DeleteToken(ctx context.Context, name string) error {
	if err := c.Delete(ctx, "/access/users/root@pam/token/"+name); err != nil {
		return fmt.Errorf("failed to delete token %s: %w", name, err)
	}
	return nil
}
