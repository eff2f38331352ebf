package talos

import (
	"context"
	"strings"

	"github.com/siderolabs/talos/pkg/machinery/role"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// rules is machined's authorization table for the services the simulator
// serves (talos internal/app/machined/pkg/system/services/machined.go);
// methods not listed need os:admin, as its FallbackRoles say.
// ApplyConfiguration also lets os:reader in: maintenance mode is read-only
// for everyone, and the handler refuses non-admins outside maintenance.
var rules = map[string]role.Set{
	"/cluster.ClusterService/HealthCheck":           role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/ApplyConfiguration":    role.MakeSet(role.Admin, role.Reader),
	"/machine.MachineService/Bootstrap":             role.MakeSet(role.Admin),
	"/machine.MachineService/CPUFreqStats":          role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/CPUInfo":               role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/Containers":            role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/DiskStats":             role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/Dmesg":                 role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/EtcdAlarmList":         role.MakeSet(role.Admin, role.Operator, role.Reader, role.EtcdBackup),
	"/machine.MachineService/EtcdAlarmDisarm":       role.MakeSet(role.Admin, role.Operator),
	"/machine.MachineService/EtcdDefragment":        role.MakeSet(role.Admin, role.Operator),
	"/machine.MachineService/EtcdForfeitLeadership": role.MakeSet(role.Admin),
	"/machine.MachineService/EtcdLeaveCluster":      role.MakeSet(role.Admin),
	"/machine.MachineService/EtcdMemberList":        role.MakeSet(role.Admin, role.Operator, role.Reader, role.EtcdBackup),
	"/machine.MachineService/EtcdRecover":           role.MakeSet(role.Admin),
	"/machine.MachineService/EtcdRemoveMemberByID":  role.MakeSet(role.Admin),
	"/machine.MachineService/EtcdSnapshot":          role.MakeSet(role.Admin, role.Operator, role.EtcdBackup),
	"/machine.MachineService/EtcdStatus":            role.MakeSet(role.Admin, role.Operator, role.Reader, role.EtcdBackup),
	"/machine.MachineService/Events":                role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/Hostname":              role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/Kubeconfig":            role.MakeSet(role.Admin),
	"/machine.MachineService/List":                  role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/LoadAvg":               role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/Logs":                  role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/Memory":                role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/Mounts":                role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/Netstat":               role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/NetworkDeviceStats":    role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/Processes":             role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/Reboot":                role.MakeSet(role.Admin, role.Operator),
	"/machine.MachineService/Reset":                 role.MakeSet(role.Admin),
	"/machine.MachineService/Restart":               role.MakeSet(role.Admin, role.Operator),
	"/machine.MachineService/ServiceList":           role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/ServiceRestart":        role.MakeSet(role.Admin, role.Operator),
	"/machine.MachineService/ServiceStart":          role.MakeSet(role.Admin, role.Operator),
	"/machine.MachineService/ServiceStop":           role.MakeSet(role.Admin, role.Operator),
	"/machine.MachineService/Shutdown":              role.MakeSet(role.Admin, role.Operator),
	"/machine.MachineService/Stats":                 role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/SystemStat":            role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/machine.MachineService/Upgrade":               role.MakeSet(role.Admin),
	"/machine.MachineService/Version":               role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/cosi.resource.State/Get":                      role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/cosi.resource.State/List":                     role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/cosi.resource.State/Watch":                    role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/storage.StorageService/Disks":                 role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/storage.StorageService/BlockDeviceWipe":       role.MakeSet(role.Admin),
	"/time.TimeService/Time":                        role.MakeSet(role.Admin, role.Operator, role.Reader),
	"/time.TimeService/TimeCheck":                   role.MakeSet(role.Admin, role.Operator, role.Reader),
}

var fallbackRoles = role.MakeSet(role.Admin)

type rolesKey struct{}

// withRoles carries the caller's roles along, including into the in-process
// proxy to another node (apid forwards them the same way, in metadata).
func withRoles(ctx context.Context, r role.Set) context.Context {
	return context.WithValue(ctx, rolesKey{}, r)
}

func rolesFrom(ctx context.Context) role.Set {
	if r, ok := ctx.Value(rolesKey{}).(role.Set); ok {
		return r
	}
	return role.Zero
}

// peerRoles reads the roles from the client certificate's organizations.
func peerRoles(ctx context.Context) role.Set {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return role.Zero
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.PeerCertificates) == 0 {
		return role.Zero
	}
	r, _ := role.Parse(info.State.PeerCertificates[0].Subject.Organization)
	return r
}

// authorize is machined's authorizer: PermissionDenied "not authorized"
// unless the caller holds one of the method's roles.
func authorize(ctx context.Context, method string) error {
	allowed, ok := rules[method]
	if !ok {
		allowed = fallbackRoles
	}
	if rolesFrom(ctx).IncludesAny(allowed) {
		return nil
	}
	return status.Error(codes.PermissionDenied, "not authorized")
}

// methodName is the short name of a full gRPC method, as generated
// Unimplemented errors name it.
func methodName(full string) string {
	return full[strings.LastIndex(full, "/")+1:]
}
