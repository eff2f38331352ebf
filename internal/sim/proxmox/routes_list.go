package proxmox

import "strings"

// RouteInfo is one route a simulated host's API serves.
type RouteInfo struct {
	Method   string // GET, POST, PUT, DELETE
	Path     string // the PVE path template relative to /api2/json ("/nodes/{node}/qemu")
	Mutating bool
}

// Routes lists every route a host's API serves, read from the router the
// hosts are built with, so a conformance test walks what is really served.
func (c *Cluster) Routes() []RouteInfo {
	rt := c.newRouter(nil)
	var out []RouteInfo
	for _, p := range rt.Patterns() {
		method, path, _ := strings.Cut(p, " ")
		path = strings.TrimPrefix(path, "/api2/json")
		out = append(out, RouteInfo{Method: method, Path: path, Mutating: rt.IsMutating(p)})
	}
	return out
}
