package proxmox

import (
	"context"
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
// shows only this once.
func (c *Client) CreateToken(ctx context.Context, name, comment string) (string, error) {
	no := false
	secret, err := c.api.New().ApiToken.Create(ctx, rootPAM, pve.ApiTokenConfig{Name: pve.ApiTokenName(name), Comment: &comment, PrivilegeSeparation: &no})
	if err != nil {
		return "", wrap(c.ep.Node, http.MethodPost, "/access/users/root@pam/token/"+name, err)
	}
	return secret.String(), nil
}

// DeleteToken deletes root@pam's token name.
func (c *Client) DeleteToken(ctx context.Context, name string) error {
	_, err := c.api.New().ApiToken.Delete(ctx, pve.ApiTokenID{User: rootPAM, TokenName: pve.ApiTokenName(name)})
	return wrap(c.ep.Node, http.MethodDelete, "/access/users/root@pam/token/"+name, err)
}
