package scaleway

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	baremetalv3 "github.com/scaleway/scaleway-sdk-go/api/baremetal/v3"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	iam "github.com/scaleway/scaleway-sdk-go/api/iam/v1alpha1"
	vpc "github.com/scaleway/scaleway-sdk-go/api/vpc/v2"
	"github.com/scaleway/scaleway-sdk-go/scw"
)

// Client holds the SDK APIs tripod uses, all on one scw.Client.
type Client struct {
	Dedibox *dedibox.API                   // Dedibox servers, services, installs, offers, OS
	RPN     *dedibox.RpnV2API              // Dedibox RPNv2 groups (private VLANs)
	Metal   *baremetal.API                 // Elastic Metal servers, installs, offers, OS
	MetalPN *baremetalv3.PrivateNetworkAPI // Elastic Metal server private networks
	VPC     *vpc.API                       // VPC v2 private networks (regional)
	IAM     *iam.API                       // SSH keys, shared by both providers' installs
	// ProjectID is the project every server is ordered in and looked up by.
	ProjectID string

	scw *scw.Client
}

// PrimeMetadata reads the API gateway's metadata once. The SDK reads it
// lazily, unguarded, in list calls (VPC, IAM), so a client shared by
// concurrent steps must hold it before they start.
func (c *Client) PrimeMetadata() error {
	_, err := c.scw.GetAPIMetadata()
	return err
}

var (
	accessKeyRE = regexp.MustCompile(`^SCW[A-Z0-9]{17}$`)
	uuidRE      = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// ErrNoCredentials is returned by New when the profile has no API key.
var ErrNoCredentials = errors.New("no Scaleway credentials: set SCW_ACCESS_KEY and SCW_SECRET_KEY, or run `scw init` to write a profile to ~/.config/scw/config.yaml")

// ErrNoProject is returned by New when no project is known.
var ErrNoProject = errors.New("no Scaleway project: set scaleway.projectID in the inventory, SCW_DEFAULT_PROJECT_ID, or default_project_id in the scw config")

// New builds a client from the credentials profile p and httpClient (whose
// transport must be tripod's dialer with its retrying transport). projectID
// overrides the profile's default project when not empty.
func New(p *scw.Profile, httpClient *http.Client, projectID string) (*Client, error) {
	p = clean(p)
	if p.AccessKey == nil || p.SecretKey == nil {
		return nil, ErrNoCredentials
	}
	if projectID == "" && p.DefaultProjectID != nil {
		projectID = *p.DefaultProjectID
	}
	if projectID == "" {
		return nil, ErrNoProject
	}
	switch {
	case !accessKeyRE.MatchString(*p.AccessKey):
		return nil, errors.New("invalid Scaleway access key: it must be SCW followed by 17 upper-case letters or digits (SCW_ACCESS_KEY or the scw config)")
	case !uuidRE.MatchString(*p.SecretKey):
		// Never the value: it is the secret.
		return nil, errors.New("invalid Scaleway secret key: it must be a UUID (SCW_SECRET_KEY or the scw config)")
	}
	c, err := scw.NewClient(scw.WithProfile(p), scw.WithHTTPClient(httpClient), scw.WithUserAgent("tripod"))
	if err != nil {
		// The SDK quotes the values it refuses: keep the secret out.
		return nil, fmt.Errorf("invalid Scaleway settings: %s", strings.ReplaceAll(err.Error(), *p.SecretKey, "<secret key>"))
	}
	return &Client{
		Dedibox: dedibox.NewAPI(c), RPN: dedibox.NewRpnV2API(c),
		Metal: baremetal.NewAPI(c), MetalPN: baremetalv3.NewPrivateNetworkAPI(c),
		VPC: vpc.NewAPI(c), IAM: iam.NewAPI(c), ProjectID: projectID, scw: c,
	}, nil
}

// clean copies p without empty values (an unset variable read as "" must
// not override a default or fail the SDK's URL check) and without the
// insecure flag: tripod verifies TLS, always.
func clean(p *scw.Profile) *scw.Profile {
	out := &scw.Profile{}
	if p == nil {
		return out
	}
	nonEmpty := func(s *string) *string {
		if s == nil || strings.TrimSpace(*s) == "" {
			return nil
		}
		v := strings.TrimSpace(*s)
		return &v
	}
	out.AccessKey, out.SecretKey = nonEmpty(p.AccessKey), nonEmpty(p.SecretKey)
	out.APIURL = nonEmpty(p.APIURL)
	if out.APIURL != nil {
		u := strings.TrimSuffix(*out.APIURL, "/") // the SDK refuses a trailing slash
		out.APIURL = &u
	}
	out.DefaultProjectID, out.DefaultOrganizationID = nonEmpty(p.DefaultProjectID), nonEmpty(p.DefaultOrganizationID)
	out.DefaultRegion, out.DefaultZone = nonEmpty(p.DefaultRegion), nonEmpty(p.DefaultZone)
	return out
}

// dediboxZones maps each Dedibox datacenter to the dedibox/v1 zone that
// manages it (Scaleway's Dedibox zones group the Paris datacenters).
var dediboxZones = map[string]scw.Zone{
	"DC2":  scw.ZoneFrPar1,
	"DC3":  scw.ZoneFrPar1,
	"DC5":  scw.ZoneFrPar2,
	"AMS1": scw.ZoneNlAms1,
}

// DediboxZone returns the dedibox/v1 zone of a datacenter (DC2, DC3, DC5,
// AMS1).
func DediboxZone(datacenter string) (scw.Zone, error) {
	z, ok := dediboxZones[strings.ToUpper(datacenter)]
	if !ok {
		return "", fmt.Errorf("unknown Dedibox datacenter %q (known: DC2, DC3, DC5, AMS1)", datacenter)
	}
	return z, nil
}

// MetalZone parses an Elastic Metal zone (fr-par-1, nl-ams-1, ...).
func MetalZone(zone string) (scw.Zone, error) {
	z, err := scw.ParseZone(zone)
	if err != nil {
		return "", fmt.Errorf("invalid Elastic Metal zone %q: %w", zone, err)
	}
	return z, nil
}

// RegionOf is the region of a zone: fr-par-2 is in fr-par.
func RegionOf(z scw.Zone) scw.Region {
	r, err := z.Region()
	if err != nil {
		s := string(z)
		if i := strings.LastIndex(s, "-"); i > 0 {
			return scw.Region(s[:i])
		}
		return scw.Region(s)
	}
	return r
}
