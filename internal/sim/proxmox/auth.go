package proxmox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Ticket lifetimes as PVE::AccessControl checks them.
const (
	ticketMaxAge    = 2 * time.Hour
	ticketClockSkew = 5 * time.Minute
	vncTicketMaxAge = 40 * time.Second
)

// identity is who a request authenticated as.
type identity struct {
	user    string // "root@pam"
	token   string // token name when authenticated with an API token
	privsep bool
}

// userid is the user as tasks record it: "root@pam" or "root@pam!tripod".
func (id identity) userid() string {
	if id.token != "" {
		return id.user + "!" + id.token
	}
	return id.user
}

// sign produces a signature as long as PVE's RSA-2048 one (256 bytes), from
// the cluster auth key: tickets issued by any member verify on every member,
// and a node that joins a cluster stops accepting its old tickets.
func sign(key []byte, data string) string {
	var out []byte
	for i := 0; len(out) < 256; i++ {
		m := hmac.New(sha256.New, key)
		fmt.Fprintf(m, "%d\x00%s", i, data)
		out = m.Sum(out)
	}
	return base64.StdEncoding.EncodeToString(out)
}

func makeTicket(key []byte, prefix, data, secret string, now time.Time) string {
	plain := prefix + ":"
	if data != "" {
		plain += data + ":"
	}
	plain += fmt.Sprintf("%08X", now.Unix())
	return plain + "::" + sign(key, plain+"\x00"+secret)
}

// checkTicket verifies a ticket made by makeTicket and returns its data part.
func checkTicket(key []byte, ticket, prefix, secret string, now time.Time, maxAge time.Duration) (string, bool) {
	plain, sig, ok := strings.Cut(ticket, "::")
	if !ok || !strings.HasPrefix(plain, prefix+":") || len(plain) < len(prefix)+9 {
		return "", false
	}
	ts, err := strconv.ParseInt(plain[len(plain)-8:], 16, 64)
	if err != nil || !hmac.Equal([]byte(sig), []byte(sign(key, plain+"\x00"+secret))) {
		return "", false
	}
	age := now.Sub(time.Unix(ts, 0))
	if age < -ticketClockSkew || age > maxAge {
		return "", false
	}
	data := strings.TrimSuffix(strings.TrimPrefix(plain[:len(plain)-8], prefix+":"), ":")
	return data, true
}

func makeCSRF(key []byte, user string, now time.Time) string {
	ts := fmt.Sprintf("%08X", now.Unix())
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "csrf\x00%s:%s", ts, user)
	return ts + ":" + base64.RawStdEncoding.EncodeToString(m.Sum(nil))
}

func checkCSRF(key []byte, token, user string, now time.Time) bool {
	ts, _, ok := strings.Cut(token, ":")
	if !ok || len(ts) != 8 {
		return false
	}
	t, err := strconv.ParseInt(ts, 16, 64)
	if err != nil || now.Sub(time.Unix(t, 0)) > ticketMaxAge {
		return false
	}
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "csrf\x00%s:%s", ts, user)
	return hmac.Equal([]byte(token), []byte(ts+":"+base64.RawStdEncoding.EncodeToString(m.Sum(nil))))
}

// authValue extracts "KEY=value" from a Cookie or Authorization header the
// way pve-http-server's extract_auth_value does (":" also separates).
func authValue(header, key string) string {
	for _, part := range strings.FieldsFunc(header, func(r rune) bool { return r == ';' || r == ' ' }) {
		if v, ok := strings.CutPrefix(part, key+"="); ok {
			return v
		}
		if v, ok := strings.CutPrefix(part, key+":"); ok {
			return v
		}
	}
	return ""
}

// authenticate checks a request's ticket (cookie or Authorization header,
// plus CSRFPreventionToken on writes) or API token against the answering
// node's /etc/pve.
func (c *Cluster) authenticate(n *node, r *http.Request) (identity, *apiError) {
	now := c.env.Now()
	ticket := authValue(r.Header.Get("Cookie"), "PVEAuthCookie")
	if ticket == "" {
		ticket = authValue(r.Header.Get("Authorization"), "PVEAuthCookie")
	}
	if ticket != "" {
		if t, err := url.PathUnescape(ticket); err == nil {
			ticket = t
		}
		user, ok := checkTicket(n.db.AuthKey, ticket, "PVE", "", now, ticketMaxAge)
		if !ok || user != "root@pam" {
			return identity{}, unauthorized("Authentication failed!")
		}
		if r.Method != http.MethodGet && !checkCSRF(n.db.AuthKey, r.Header.Get("CSRFPreventionToken"), user, now) {
			return identity{}, unauthorized("Permission denied - invalid csrf token")
		}
		return identity{user: user}, nil
	}
	if tok := authValue(r.Header.Get("Authorization"), "PVEAPIToken"); tok != "" {
		return c.checkToken(n, tok, now)
	}
	return identity{}, unauthorized("No ticket")
}

// checkToken verifies "USER@REALM!TOKENID=SECRET" (or with ":").
func (c *Cluster) checkToken(n *node, value string, now time.Time) (identity, *apiError) {
	i := strings.LastIndexAny(value, "=:")
	if i < 0 {
		return identity{}, unauthorized("Authentication failed!")
	}
	full, secret := value[:i], value[i+1:]
	tok := n.db.Tokens[full]
	if tok == nil || !hmac.Equal([]byte(tok.Secret), []byte(secret)) || (tok.Expire > 0 && now.Unix() > tok.Expire) {
		return identity{}, unauthorized("Authentication failed!")
	}
	return identity{user: tok.User, token: tok.TokenID, privsep: tok.Privsep}, nil
}

// perm is a route's permission rule.
type perm struct {
	world    bool   // no authentication at all (/access/ticket)
	rootOnly bool   // "permissions: null": only a root@pam ticket passes
	path     string // checked privilege, for tokens with privilege separation
	priv     string
}

var (
	permWorld = perm{world: true}
	permAll   = perm{}
	permRoot  = perm{rootOnly: true}
)

func privCheck(path, priv string) perm { return perm{path: path, priv: priv} }

// authorize applies a route's permission to an authenticated identity. Only
// root@pam exists, so the one thing that can fail is a token: any token for
// root-only routes (root@pam!x is not root@pam), and a privilege-separated
// token (which has no ACLs here) for privilege-checked ones.
func (p perm) authorize(id identity, r *http.Request) *apiError {
	if p.rootOnly && (id.user != "root@pam" || id.token != "") {
		return permErr("user != root@pam")
	}
	if p.priv != "" && id.token != "" && id.privsep {
		path := p.path
		for _, k := range []string{"node", "vmid", "storage"} {
			path = strings.ReplaceAll(path, "{"+k+"}", r.PathValue(k))
		}
		return permErr(path + ", " + p.priv)
	}
	return nil
}
