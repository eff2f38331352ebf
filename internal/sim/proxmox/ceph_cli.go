package proxmox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// cephCmd is one modelled `ceph` subcommand.
type cephCmd struct {
	words    string // "osd crush add-bucket"
	mutating bool
	run      func(sh *shell, cc *cephCluster, db *confDB, args []string, json bool, out, errw io.Writer) int
}

var cephCmds = []cephCmd{
	{"osd crush add-bucket", true, crushAddBucket},
	{"osd crush move", true, crushMove},
	{"osd crush rule create-replicated", true, crushRuleCreate},
	{"osd crush rule dump", false, crushRuleDump},
	{"osd crush rule ls", false, crushRuleLs},
	{"osd crush dump", false, crushDump},
	{"osd crush tree", false, crushTree},
	{"osd tree", false, crushTree},
	{"osd pool set", true, poolSet},
	{"osd pool get", false, poolGet},
	{"osd pool ls", false, poolLs},
	{"status", false, cephStatusCmd},
	{"-s", false, cephStatusCmd},
	{"health", false, cephHealthCmd},
}

// cmdCeph is the ceph CLI (ceph-common is on every PVE host): it reads
// /etc/pve/ceph.conf and talks to the monitors, so it fails like the real
// client before init, without monitors, or without quorum.
func cmdCeph(_ context.Context, sh *shell, args []string, out, errw io.Writer) int {
	args, asJSON := stripFormat(args[1:])
	joined := strings.Join(args, " ")
	if joined == "--version" || joined == "-v" || joined == "version" {
		release := sh.c.defaultCephRelease()
		sh.withNode(func(n *node) int {
			if n.Ceph != nil {
				release = n.Ceph.Release
			}
			return 0
		})
		fmt.Fprintln(out, cephVersion(release))
		return sh.record("ceph --version", false, 0)
	}
	var cmd *cephCmd
	for i := range cephCmds {
		if joined == cephCmds[i].words || strings.HasPrefix(joined, cephCmds[i].words+" ") {
			cmd = &cephCmds[i]
			break
		}
	}
	if cmd == nil {
		return sh.unmodelled("ceph "+joined, errw, "Error EINVAL: the simulator does not model 'ceph "+joined+"'", 22)
	}
	rest := strings.Fields(strings.TrimPrefix(joined, cmd.words))
	status := sh.withNode(func(n *node) int {
		db := n.db
		switch {
		case db.Ceph == nil:
			fmt.Fprintln(errw, "Error initializing cluster client: ObjectNotFound('RADOS object not found (error calling conf_read_file)')")
			return 1
		case len(db.Ceph.Mons) == 0:
			fmt.Fprintln(errw, "[errno 2] RADOS object not found (error connecting to the cluster)")
			return 1
		case !sh.c.monQuorum(db):
			fmt.Fprintln(errw, "[errno 110] RADOS timed out (error connecting to the cluster)")
			return 1
		}
		return cmd.run(sh, db.Ceph, db, rest, asJSON, out, errw)
	})
	return sh.record("ceph "+cmd.words, cmd.mutating, status)
}

func stripFormat(args []string) ([]string, bool) {
	var out []string
	asJSON := false
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--format" || a == "-f":
			if i+1 < len(args) {
				asJSON = strings.HasPrefix(args[i+1], "json")
				i++
			}
		case strings.HasPrefix(a, "--format="):
			asJSON = strings.HasPrefix(strings.TrimPrefix(a, "--format="), "json")
		default:
			out = append(out, a)
		}
	}
	return out, asJSON
}

func printJSON(out io.Writer, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintln(out, string(b))
}

func crushAddBucket(sh *shell, cc *cephCluster, _ *confDB, args []string, _ bool, out, errw io.Writer) int {
	if len(args) < 2 {
		fmt.Fprintln(errw, "Invalid command: missing required parameter type(<string>)")
		return 22
	}
	name, typ := args[0], args[1]
	if !isCrushType(typ) {
		fmt.Fprintf(errw, "Error EINVAL: type '%s' does not exist\n", typ)
		return 22
	}
	if cc.bucket(name) != nil {
		fmt.Fprintf(errw, "bucket '%s' already exists\n", name)
		return 0
	}
	cc.Buckets = append(cc.Buckets, &crushBucket{ID: cc.nextBucketID(), Name: name, Type: typ})
	cc.Epoch++
	fmt.Fprintf(errw, "added bucket %s type %s to crush map\n", name, typ)
	return 0
}

// crushMove is `ceph osd crush move NAME TYPE=BUCKET`: buckets only; the
// target must exist and be of that type.
func crushMove(sh *shell, cc *cephCluster, _ *confDB, args []string, _ bool, out, errw io.Writer) int {
	if len(args) < 2 {
		fmt.Fprintln(errw, "Invalid command: missing required parameter args(<string(goodchars [A-Za-z0-9-_.=])> [<string(goodchars [A-Za-z0-9-_.=])>...])")
		return 22
	}
	b := cc.bucket(args[0])
	if b == nil {
		fmt.Fprintf(errw, "Error ENOENT: item %s does not exist\n", args[0])
		return 2
	}
	typ, parentName, ok := strings.Cut(args[len(args)-1], "=")
	parent := cc.bucket(parentName)
	if !ok || parent == nil || parent.Type != typ {
		fmt.Fprintf(errw, "Error ENOENT: no bucket %s of type %s in crush map\n", parentName, typ)
		return 2
	}
	for _, a := range cc.ancestors(parent.Name) {
		if a.Name == b.Name {
			fmt.Fprintf(errw, "Error EINVAL: cannot move item %s under its own descendant %s\n", b.Name, parent.Name)
			return 22
		}
	}
	if parent.Name == b.Name {
		fmt.Fprintf(errw, "Error EINVAL: cannot move item %s under itself\n", b.Name)
		return 22
	}
	loc := "{" + typ + "=" + parentName + "}"
	if b.Parent == parent.Name {
		fmt.Fprintf(errw, "no need to move item id %d name '%s' to location %s in crush map\n", b.ID, b.Name, loc)
		return 0
	}
	b.Parent = parent.Name
	cc.Epoch++
	cc.LastChange = sh.c.env.Now()
	fmt.Fprintf(errw, "moved item id %d name '%s' to location %s in crush map\n", b.ID, b.Name, loc)
	return 0
}

func crushRuleCreate(sh *shell, cc *cephCluster, _ *confDB, args []string, _ bool, out, errw io.Writer) int {
	if len(args) < 3 {
		fmt.Fprintln(errw, "Invalid command: missing required parameter type(<string(goodchars [A-Za-z0-9-_.])>)")
		return 22
	}
	name, root, typ, class := args[0], args[1], args[2], ""
	if len(args) > 3 {
		class = args[3]
	}
	if r := cc.bucket(root); r == nil {
		fmt.Fprintf(errw, "Error ENOENT: root item %s does not exist\n", root)
		return 2
	}
	if !isCrushType(typ) {
		fmt.Fprintf(errw, "Error EINVAL: type %s does not exist\n", typ)
		return 22
	}
	if class != "" && !hasClass(cc, class) {
		fmt.Fprintf(errw, "Error EINVAL: device class %s does not exist\n", class)
		return 22
	}
	if cc.rule(name) != nil {
		fmt.Fprintf(errw, "rule %s already exists\n", name)
		return 0
	}
	id := 0
	for _, r := range cc.Rules {
		id = max(id, r.ID+1)
	}
	cc.Rules = append(cc.Rules, &crushRule{ID: id, Name: name, Root: root, Domain: typ, Class: class})
	cc.Epoch++
	return 0
}

func hasClass(cc *cephCluster, class string) bool {
	for _, o := range cc.OSDs {
		if o.Class == class {
			return true
		}
	}
	return false
}
