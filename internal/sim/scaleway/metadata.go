package scaleway

import (
	"net/http"
	"time"
)

// apiMetadata is what the API gateway says about itself at GET /metadata.
// scaleway-sdk-go asks for it (GetAPIMetadata) to build resource names
// (SRNs) after IAM and VPC calls. The values are the real gateway's, as
// scaleway-sdk-go v1.39.0's own client test records them (scw/client_test.go).
type apiMetadata struct {
	Platform  string `json:"platform"`
	Partition string `json:"partition"`
	Domain    string `json:"domain"`
}

func (s *Sim) getMetadata(*http.Request, time.Time) (any, error) {
	return apiMetadata{Platform: "external", Partition: "scw", Domain: "scw.eu"}, nil
}
