package proxmox

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// allPrivs is every privilege PVE knows: root@pam (and its tokens without
// privilege separation) hold all of them on every path.
var allPrivs = []string{
	"Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit",
	"Group.Allocate", "Permissions.Modify", "Pool.Allocate", "Pool.Audit", "Realm.Allocate", "Realm.AllocateUser",
	"SDN.Allocate", "SDN.Audit", "SDN.Use", "Sys.Audit", "Sys.Console", "Sys.Incoming", "Sys.Modify",
	"Sys.PowerMgmt", "Sys.Syslog", "User.Modify", "VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone",
	"VM.Config.CDROM", "VM.Config.CPU", "VM.Config.Cloudinit", "VM.Config.Disk", "VM.Config.HWType",
	"VM.Config.Memory", "VM.Config.Network", "VM.Config.Options", "VM.Console", "VM.Migrate", "VM.Monitor",
	"VM.PowerMgmt", "VM.Snapshot", "VM.Snapshot.Rollback",
}

// capGroups is the "cap" object of a login: privileges grouped by area.
var capGroups = map[string][]string{
	"vms":     {"VM.", "Permissions.Modify"},
	"storage": {"Datastore.", "Permissions.Modify"},
	"nodes":   {"Sys.Audit", "Sys.Console", "Sys.Incoming", "Sys.Modify", "Sys.PowerMgmt", "Sys.Syslog", "Permissions.Modify"},
	"access":  {"Group.Allocate", "User.Modify", "Permissions.Modify"},
	"dc":      {"SDN.Allocate", "SDN.Audit", "SDN.Use", "Sys.Audit"},
	"sdn":     {"SDN.", "Permissions.Modify"},
}

func privMap(match []string) map[string]int {
	out := map[string]int{}
	for _, p := range allPrivs {
		for _, m := range match {
			if p == m || (strings.HasSuffix(m, ".") && strings.HasPrefix(p, m)) {
				out[p] = 1
			}
		}
	}
	return out
}

func (c *Cluster) accessRoutes() []route {
	return []route{
		{"GET /access/ticket", false, permWorld, spec(), func(*call) (any, error) { return nil, nil }},
		{"POST /access/ticket", false, permWorld, spec("username!", "password!", "otp", "realm", "path", "privs", "new-format", "tfa-challenge"), c.login},
		{"GET /access/permissions", false, permAll, spec("path", "userid"), c.permissions},
		{"GET /version", false, permAll, spec(), c.version},
		{"GET /nodes/{node}/version", false, permAll, spec(), c.version},
		{"GET /access/users/{userid}/token", false, privCheck("/access/users/{userid}", "User.Modify"), spec(), c.listTokens},
		{"GET /access/users/{userid}/token/{tokenid}", false, privCheck("/access/users/{userid}", "User.Modify"), spec(), c.getToken},
		{"POST /access/users/{userid}/token/{tokenid}", true, privCheck("/access/users/{userid}", "User.Modify"), spec("comment", "expire", "privsep"), c.createToken},
		{"PUT /access/users/{userid}/token/{tokenid}", true, privCheck("/access/users/{userid}", "User.Modify"), spec("comment", "expire", "privsep"), c.updateToken},
		{"DELETE /access/users/{userid}/token/{tokenid}", true, privCheck("/access/users/{userid}", "User.Modify"), spec(), c.deleteToken},
	}
}

// login is POST /access/ticket: root@pam with the answering node's own root
// password (PAM is per host), or a still-valid ticket to renew. Tokens
// cannot log in (allowtoken 0), and any failure is 401.
func (c *Cluster) login(q *call) (any, error) {
	user := q.str("username")
	if realm := q.str("realm"); realm != "" && !strings.Contains(user, "@") {
		user += "@" + realm
	}
	pw := q.str("password")
	ok := user == "root@pam" && pw == q.local.Info.RootPassword
	if !ok && strings.HasPrefix(pw, "PVE:") {
		u, valid := checkTicket(q.local.db.AuthKey, pw, "PVE", "", q.now, ticketMaxAge)
		ok = valid && u == user
	}
	if !ok && strings.HasPrefix(pw, "PVEVNC:") {
		_, ok = checkTicket(q.local.db.AuthKey, pw, "PVEVNC", user+":"+q.str("path"), q.now, vncTicketMaxAge)
	}
	if !ok {
		return nil, &apiError{status: http.StatusUnauthorized, msg: "authentication failure"}
	}
	caps := map[string]any{}
	for group, match := range capGroups {
		caps[group] = privMap(match)
	}
	out := map[string]any{
		"username":            user,
		"ticket":              makeTicket(q.local.db.AuthKey, "PVE", user, "", q.now),
		"CSRFPreventionToken": makeCSRF(q.local.db.AuthKey, user, q.now),
		"cap":                 caps,
	}
	if cs := q.local.db.Corosync; cs != nil {
		out["clustername"] = cs.Name
	}
	return out, nil
}

func (c *Cluster) permissions(q *call) (any, error) {
	if q.who.token != "" && q.who.privsep {
		return map[string]any{}, nil
	}
	all := privMap(allPrivs)
	out := map[string]any{}
	for _, p := range []string{"/", "/access", "/access/groups", "/nodes", "/pools", "/sdn", "/storage", "/vms"} {
		out[p] = all
	}
	if p := q.str("path"); p != "" {
		return map[string]any{p: all}, nil
	}
	return out, nil
}

func (c *Cluster) version(q *call) (any, error) {
	release := c.Version
	if parts := strings.SplitN(c.Version, ".", 3); len(parts) >= 2 {
		release = parts[0] + "." + parts[1]
	}
	return map[string]any{"version": c.Version, "release": release, "repoid": c.repoID(), "console": "xtermjs"}, nil
}

// repoID is the short git revision pve-manager was built from.
func (c *Cluster) repoID() string {
	sum := sha256.Sum256([]byte("pve-manager " + c.Version))
	return fmt.Sprintf("%x", sum[:8])
}

func (c *Cluster) tokenOwner(q *call) (string, *apiError) {
	user := q.r.PathValue("userid")
	if user != "root@pam" {
		return "", errf("no such user ('%s')", user)
	}
	return user, nil
}

func tokenInfo(t *apiToken) map[string]any {
	out := map[string]any{"privsep": b01(t.Privsep), "expire": t.Expire}
	if t.Comment != "" {
		out["comment"] = t.Comment
	}
	return out
}

func (c *Cluster) listTokens(q *call) (any, error) {
	user, aerr := c.tokenOwner(q)
	if aerr != nil {
		return nil, aerr
	}
	var names []string
	for _, t := range q.local.db.Tokens {
		if t.User == user {
			names = append(names, t.TokenID)
		}
	}
	sort.Strings(names)
	out := []map[string]any{}
	for _, name := range names {
		e := tokenInfo(q.local.db.Tokens[user+"!"+name])
		e["tokenid"] = name
		out = append(out, e)
	}
	return out, nil
}

func (c *Cluster) findToken(q *call) (*apiToken, *apiError) {
	user, aerr := c.tokenOwner(q)
	if aerr != nil {
		return nil, aerr
	}
	id := q.r.PathValue("tokenid")
	t := q.local.db.Tokens[user+"!"+id]
	if t == nil {
		return nil, errf("no such token '%s' for user '%s'", id, user)
	}
	return t, nil
}

func (c *Cluster) getToken(q *call) (any, error) {
	t, aerr := c.findToken(q)
	if aerr != nil {
		return nil, aerr
	}
	return tokenInfo(t), nil
}

// createToken is POST /access/users/{userid}/token/{tokenid}: the secret is
// a UUID shown once; privsep defaults to 1 as on PVE.
func (c *Cluster) createToken(q *call) (any, error) {
	user, aerr := c.tokenOwner(q)
	if aerr != nil {
		return nil, aerr
	}
	id := q.r.PathValue("tokenid")
	if !tokenNameRe.MatchString(id) {
		return nil, paramErr(map[string]string{"tokenid": "invalid format - invalid API token ID '" + id + "'"})
	}
	full := user + "!" + id
	if q.local.db.Tokens[full] != nil {
		return nil, errf("Token already exists.")
	}
	t := &apiToken{User: user, TokenID: id, Secret: c.uuid("token\x00" + full + "\x00" + strconv.FormatInt(q.now.UnixNano(), 10)),
		Privsep: q.boolOr("privsep", true), Comment: q.str("comment")}
	t.Expire, _ = strconv.ParseInt(q.str("expire"), 10, 64)
	q.local.db.Tokens[full] = t
	return map[string]any{"full-tokenid": full, "info": tokenInfo(t), "value": t.Secret}, nil
}

func (c *Cluster) updateToken(q *call) (any, error) {
	t, aerr := c.findToken(q)
	if aerr != nil {
		return nil, aerr
	}
	if q.has("privsep") {
		t.Privsep = q.boolOr("privsep", t.Privsep)
	}
	if q.has("comment") {
		t.Comment = strings.TrimSpace(q.str("comment"))
	}
	if q.has("expire") {
		t.Expire, _ = strconv.ParseInt(q.str("expire"), 10, 64)
	}
	return tokenInfo(t), nil
}

func (c *Cluster) deleteToken(q *call) (any, error) {
	t, aerr := c.findToken(q)
	if aerr != nil {
		return nil, aerr
	}
	delete(q.local.db.Tokens, t.User+"!"+t.TokenID)
	return nil, nil
}
