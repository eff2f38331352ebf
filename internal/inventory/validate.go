package inventory

import (
	"fmt"
	"regexp"
	"strings"
)

// dediboxDatacenters are the Dedibox datacenters tripod knows, with their
// region (DediboxRegion reads it).
var dediboxDatacenters = map[string]string{"DC2": "fr-par", "DC3": "fr-par", "DC5": "fr-par", "AMS1": "nl-ams"}

// DediboxRegion is the Scaleway region of a Dedibox datacenter ("DC3"),
// and whether tripod knows the datacenter.
func DediboxRegion(datacenter string) (region string, ok bool) {
	region, ok = dediboxDatacenters[datacenter]
	return region, ok
}

// Placements tripod knows, per provider, with their region.
var (
	elasticMetalZones = map[string]string{"fr-par-1": "fr-par", "fr-par-2": "fr-par", "nl-ams-1": "nl-ams", "nl-ams-2": "nl-ams", "pl-waw-2": "pl-waw", "pl-waw-3": "pl-waw"}
	regions           = []string{"fr-par", "nl-ams", "pl-waw"}
)

var (
	dnsLabelRE  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	pveNameRE   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,14}$`)
	schematicRE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	uuidRE      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	bridgeRE    = regexp.MustCompile(`^vmbr[0-9]{1,4}$`)
)

// Validate checks a defaulted inventory and plans its layout. It returns
// every finding, errors and warnings, by YAML path; dir is where patch files
// are looked up. The layout is nil when the structure is too broken to plan.
func Validate(c *Cluster, dir string) (*Layout, findings) {
	var f findings
	checkLabel(&f, "name", c.Name, 40)
	if !contains(regions, c.Scaleway.Region) {
		f.errorf("scaleway.region", "unknown region %q (want one of: %s)", c.Scaleway.Region, strings.Join(regions, ", "))
	}
	offers := Offers(c.Offers)
	validateOffers(&f, c.Offers)
	validateAZs(&f, c, offers)
	validateNetwork(&f, c)
	validateProxmox(&f, c)
	validateCeph(&f, c)
	validateTalos(&f, c, dir)
	validateState(&f, c.State)
	validateAccess(&f, c.Access)
	if hasErrors(f) {
		return nil, f
	}
	layout := buildLayout(c, offers, &f)
	validateAddresses(&f, c, layout)
	warnings(&f, c, layout)
	return layout, f
}

func hasErrors(f findings) bool {
	for _, x := range f {
		if x.severity == SeverityError {
			return true
		}
	}
	return false
}

// maxWorkersPerAZ keeps an AZ's worker VM IDs (vmidBase+1000*(AZ+1)+k)
// inside the AZ's own thousand (k <= 999), and plans small enough to reason
// about.
const maxWorkersPerAZ = 250

func checkLabel(f *findings, path, v string, maxLen int) {
	switch {
	case v == "":
		f.errorf(path, "required")
	case len(v) > maxLen:
		f.errorf(path, "%q is longer than %d characters", v, maxLen)
	case !dnsLabelRE.MatchString(v):
		f.errorf(path, "%q is not a DNS label (lower-case letters, digits and '-', starting and ending with a letter or digit)", v)
	}
}

func validateOffers(f *findings, specs []OfferSpec) {
	for i, o := range specs {
		p := fmt.Sprintf("offers[%d]", i)
		if o.Name == "" {
			f.errorf(p+".name", "required")
		}
		if o.Provider == "" {
			f.errorf(p+".provider", "required (dedibox or elastic-metal)")
		}
		if o.Threads <= 0 {
			f.errorf(p+".threads", "must be a positive number of logical CPUs")
		}
		if o.Memory <= 0 {
			f.errorf(p+".memory", "must be a positive size, e.g. 128GiB")
		}
	}
}

func validateAZs(f *findings, c *Cluster, offers OfferTable) {
	if len(c.AZs) != 3 {
		f.errorf("azs", "want exactly 3 AZs, got %d: the cluster must survive the loss of any one", len(c.AZs))
	}
	checkKnownRTT(f, c)
	names, places, hosts := map[string]int{}, map[string]int{}, map[string]string{}
	for i, az := range c.AZs {
		p := fmt.Sprintf("azs[%d]", i)
		checkLabel(f, p+".name", az.Name, 63)
		if j, dup := names[az.Name]; dup && az.Name != "" {
			f.errorf(p+".name", "AZ name %q is already used by azs[%d]", az.Name, j)
		}
		names[az.Name] = i
		checkPlacement(f, c, i, az, places)
		if len(az.Hosts) == 0 {
			f.errorf(p+".hosts", "AZ %s has no hosts", az.Name)
		}
		for j, h := range az.Hosts {
			hp := fmt.Sprintf("%s.hosts[%d]", p, j)
			if prev, dup := hosts[h.Name]; dup && h.Name != "" {
				f.errorf(hp+".name", "host name %q is already used by %s", h.Name, prev)
			}
			hosts[h.Name] = hp
			validateHost(f, hp, az, h, offers)
		}
		if az.Workers.Count < 0 || az.Workers.Count > maxWorkersPerAZ {
			f.errorf(p+".workers.count", "must be between 0 and %d, got %d", maxWorkersPerAZ, az.Workers.Count)
		}
		validateVMSize(f, p+".workers", az.Workers.Cores, az.Workers.Memory, az.Workers.Disk, WorkerNode)
	}
	validateControlPlanes(f, c)
}

func checkPlacement(f *findings, c *Cluster, i int, az AZ, seen map[string]int) {
	p := fmt.Sprintf("azs[%d]", i)
	if az.Datacenter == "" && az.Zone == "" {
		f.errorf(p, "AZ %s needs a datacenter (Dedibox: DC2, DC3, DC5, AMS1) or a zone (Elastic Metal: fr-par-1, ...)", az.Name)
	}
	check := func(field, v string, known map[string]string, what string) {
		if v == "" {
			return
		}
		region, ok := known[v]
		if !ok {
			f.errorf(p+"."+field, "unknown %s %q (want one of: %s)", what, v, strings.Join(sortedKeys(known), ", "))
			return
		}
		if c.Scaleway.Region != "" && region != c.Scaleway.Region {
			// Elastic Metal has two zones per region, so a pure Elastic Metal
			// cluster must cross regions; it works, but an operator must know.
			f.warnf(p+"."+field, "%s %s is in region %s, not scaleway.region %s: cross-region round trips (about 9 ms Paris-Amsterdam) come close to corosync's limit, and private networks are regional", what, v, region, c.Scaleway.Region)
		}
		if j, dup := seen[v]; dup {
			f.errorf(p+"."+field, "%s %s is already used by azs[%d]; each AZ needs its own, or one failure takes out two AZs", what, v, j)
			return
		}
		seen[v] = i
	}
	check("datacenter", az.Datacenter, dediboxDatacenters, "Dedibox datacenter")
	check("zone", az.Zone, elasticMetalZones, "Elastic Metal zone")
}

func validateHost(f *findings, p string, az AZ, h Host, offers OfferTable) {
	checkLabel(f, p+".name", h.Name, 63)
	switch h.Provider {
	case "":
		f.errorf(p+".provider", "required when the AZ has both a datacenter and a zone (dedibox or elastic-metal)")
	case Dedibox:
		if az.Datacenter == "" {
			f.errorf(p+".provider", "a dedibox host needs the AZ's datacenter to be set")
		}
	case ElasticMetal:
		if az.Zone == "" {
			f.errorf(p+".provider", "an elastic-metal host needs the AZ's zone to be set")
		}
	}
	o, ok := offers[h.Offer]
	switch {
	case h.Offer == "":
		f.errorf(p+".offer", "required (the capacity comes from it, also when adopting)")
	case !ok:
		f.errorf(p+".offer", "unknown offer %q (known %s offers: %s; or describe it under offers)", h.Offer, h.Provider, strings.Join(offers.Names(h.Provider), ", "))
	case h.Provider != "" && o.Provider != h.Provider:
		f.errorf(p+".offer", "offer %s is an %s offer, but the host's provider is %s", h.Offer, o.Provider, h.Provider)
	}
	if h.Adopt != nil {
		validateAdopt(f, p+".adopt.serverID", h)
	}
	validateRoles(f, p, h, o, ok)
}

func validateAdopt(f *findings, p string, h Host) {
	id := h.Adopt.ServerID
	switch {
	case id == "":
		f.errorf(p, "required when adopting")
	case h.Provider == Dedibox && strings.Trim(id, "0123456789") != "":
		f.errorf(p, "Dedibox server IDs are numbers, got %q", id)
	case h.Provider == ElasticMetal && !uuidRE.MatchString(id):
		f.errorf(p, "Elastic Metal server IDs are UUIDs, got %q", id)
	}
}

func validateRoles(f *findings, p string, h Host, o Offer, known bool) {
	if len(h.Roles) == 0 {
		f.errorf(p+".roles", "at least one role is required (compute, ceph-osd, ceph-mon)")
	}
	seen := map[Role]bool{}
	for k, r := range h.Roles {
		if seen[r] {
			f.errorf(fmt.Sprintf("%s.roles[%d]", p, k), "role %s is listed twice", r)
		}
		seen[r] = true
	}
	if h.HasRole(RoleCephOSD) && len(h.DataDisks) == 0 {
		f.errorf(p+".dataDisks", "a ceph-osd host needs at least one data disk")
	}
	if !h.HasRole(RoleCephOSD) && len(h.DataDisks) > 0 {
		f.errorf(p+".dataDisks", "data disks are only used by the ceph-osd role")
	}
	disks := map[string]bool{}
	for k, d := range h.DataDisks {
		dp := fmt.Sprintf("%s.dataDisks[%d]", p, k)
		if !strings.HasPrefix(d, "/dev/") || len(d) <= len("/dev/") {
			f.errorf(dp, "%q is not a device path like /dev/nvme1n1", d)
		}
		if disks[d] {
			f.errorf(dp, "%s is listed twice", d)
		}
		disks[d] = true
	}
	if known && len(o.Disks) > 0 && len(h.DataDisks) > len(o.Disks)-1 {
		f.errorf(p+".dataDisks", "offer %s has %d disks and one holds the system, so at most %d can be OSDs, got %d", o.Name, len(o.Disks), len(o.Disks)-1, len(h.DataDisks))
	}
}

func validateControlPlanes(f *findings, c *Cluster) {
	cp := c.ControlPlane
	if cp.Count != 3 && cp.Count != 5 {
		f.errorf("controlPlane.count", "want 3 (one per AZ) or 5 (2-2-1) control planes, got %d", cp.Count)
	}
	set, sum := 0, 0
	for _, az := range c.AZs {
		if az.ControlPlanes != nil {
			set++
			sum += *az.ControlPlanes
		}
	}
	if set != 0 && set != len(c.AZs) {
		f.errorf("azs", "set controlPlanes on every AZ or on none")
		return
	}
	if sum != cp.Count {
		f.errorf("controlPlane.count", "%d control planes, but the AZs' controlPlanes add up to %d", cp.Count, sum)
		return
	}
	if len(c.AZs) != 3 {
		return // the AZ count is reported; quorum per AZ loss is meaningless until it is right
	}
	quorum := cp.Count/2 + 1
	for i, az := range c.AZs {
		if az.ControlPlanes == nil {
			continue
		}
		if n := *az.ControlPlanes; n < 0 {
			f.errorf(fmt.Sprintf("azs[%d].controlPlanes", i), "must not be negative")
		} else if cp.Count-n < quorum {
			f.errorf(fmt.Sprintf("azs[%d].controlPlanes", i), "losing AZ %s would leave %d of %d control planes, below etcd quorum of %d; spread them (3 as 1-1-1, 5 as 2-2-1)", az.Name, cp.Count-n, cp.Count, quorum)
		}
	}
	validateVMSize(f, "controlPlane", cp.Cores, cp.Memory, cp.Disk, ControlPlaneNode)
}

// validateVMSize applies Talos's documented minimum requirements.
func validateVMSize(f *findings, p string, cores int, mem, disk Size, t MachineType) {
	minCores, minMem := 1, 1*gib
	if t == ControlPlaneNode {
		minCores, minMem = 2, 2*gib
	}
	if cores < minCores {
		f.errorf(p+".cores", "Talos %s nodes need at least %d cores, got %d", t, minCores, cores)
	}
	if mem < minMem {
		f.errorf(p+".memory", "Talos %s nodes need at least %s of memory, got %s", t, minMem, mem)
	}
	if disk < 10*gib {
		f.errorf(p+".disk", "Talos nodes need at least 10GiB of disk, got %s", disk)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
