package scaleway

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// TestConformance replays each recorded cassette against the simulator: the
// same methods and paths (recorded IDs replaced by ours), the same codes,
// at least the recorded JSON keys at every level, the exact recorded error
// bodies, and for every server the same sequence of status/install.status.
// Polls of a server are repeated on a controlled clock until the simulator
// reaches the recorded state, so a skipped or extra state fails the test.
func TestConformance(t *testing.T) {
	for _, name := range []string{
		"server-create-server-with-service-password.cassette.yaml",
		"test-install-server-simple-with-id.cassette.yaml",
		"test-start-server-errors-error-cannot-be-started-while-not-delivered.cassette.yaml",
		"test-baremetal-get-offer-simple.cassette.yaml",
		"data-source-os-basic.cassette.yaml",
	} {
		t.Run(strings.TrimSuffix(name, ".cassette.yaml"), func(t *testing.T) {
			c := loadCassette(t, name)
			r := &replay{t: t, f: newFixture(t, simcore.Realistic, 0.001, withFakeClock()), cli: c.Version == 1,
				ids: map[string]string{}, recorded: map[string][]string{}, ours: map[string][]string{}}
			r.mapAccount(c)
			for i := range c.Interactions {
				r.step(i, &c)
			}
			for id, rec := range r.recorded {
				if got, want := dedup(r.ours[id]), dedup(rec); !slices.Equal(got, want) {
					t.Errorf("server %s: states %v, recorded %v", id, got, want)
				}
			}
		})
	}
}

type replay struct {
	t        *testing.T
	f        *fixture
	cli      bool              // scaleway-cli format: request.body holds the response
	ids      map[string]string // recorded ID -> ours
	recorded map[string][]string
	ours     map[string][]string
}

// mapAccount maps every recorded project and organization to ours.
func (r *replay) mapAccount(c cassette) {
	for _, it := range c.Interactions {
		for _, body := range []string{it.Request.Body, it.Response.Body} {
			for _, m := range projectInText.FindAllStringSubmatch(body, -1) {
				r.ids[m[2]] = r.f.creds.ProjectID
			}
		}
	}
}

func (r *replay) step(i int, c *cassette) {
	it := c.Interactions[i]
	recPath := pathOf(it.Request.URL)
	method, path := it.Request.Method, substitute(recPath, r.ids)
	recBody, recIsJSON := recordedJSON(it.Response.Body)
	want := stateOf(it.Response.Code, recBody)
	server := r.serverKey(method, recPath, recBody)

	var code int
	var body any
	if method == http.MethodGet && emServerPath.MatchString(recPath) {
		code, body = r.pollUntil(server, path, want)
	} else {
		code, body = r.do(method, path, r.requestBody(method, recPath, recBody, it.Request.Body))
		if server != "" {
			r.ours[server] = append(r.ours[server], stateOf(code, body))
		}
	}
	if server != "" {
		r.recorded[server] = append(r.recorded[server], want)
	}
	if code != it.Response.Code {
		r.t.Fatalf("#%d %s %s: code %d, recorded %d (body %v)", i, method, path, code, it.Response.Code, body)
	}
	switch {
	case code >= 400 && recIsJSON && !reflect.DeepEqual(body, recBody):
		r.t.Errorf("#%d %s %s: error body %v, recorded %v", i, method, path, body, recBody)
	case recIsJSON:
		if miss := missingKeys(recBody, body); len(miss) > 0 {
			r.t.Errorf("#%d %s %s: keys missing from our answer: %v", i, method, path, miss)
		}
	}
	if method == http.MethodPost && recIsJSON && (strings.HasSuffix(recPath, "/servers") || strings.HasSuffix(recPath, "/ssh-keys")) {
		rec, _ := recBody.(map[string]any)["id"].(string)
		ours, _ := body.(map[string]any)["id"].(string)
		r.ids[rec] = ours
	}
}

// serverKey names the recorded Elastic Metal server an answer is about.
func (r *replay) serverKey(method, recPath string, recBody any) string {
	switch {
	case emServerPath.MatchString(recPath):
		return recPath[strings.LastIndex(recPath, "/")+1:]
	case method == http.MethodPost && strings.HasSuffix(recPath, "/servers"),
		method == http.MethodPost && strings.HasSuffix(recPath, "/install"):
		id, _ := recBody.(map[string]any)["id"].(string)
		return id
	}
	return ""
}

// pollUntil repeats a server GET, a 5 ms step of the clock apart, until it
// shows the recorded state; every state seen is kept for the comparison.
func (r *replay) pollUntil(server, path, want string) (int, any) {
	for range 2000 {
		code, body := r.do(http.MethodGet, path, "")
		st := stateOf(code, body)
		r.ours[server] = append(r.ours[server], st)
		if st == want {
			return code, body
		}
		r.f.clock.Advance(5 * time.Millisecond)
	}
	r.t.Fatalf("GET %s never reached the recorded state %s; saw %v", path, want, dedup(r.ours[server]))
	return 0, nil
}

// requestBody is the recorded body (terraform records it), or for the CLI
// cassettes, which keep only the answer, the body the CLI would have sent.
func (r *replay) requestBody(method, recPath string, rec any, recorded string) string {
	if method == http.MethodGet || method == http.MethodDelete {
		return ""
	}
	if !r.cli {
		return substitute(recorded, r.ids)
	}
	m, _ := rec.(map[string]any)
	var out map[string]any
	switch {
	case strings.HasSuffix(recPath, "/ssh-keys"):
		out = map[string]any{"name": m["name"], "public_key": m["public_key"], "project_id": m["project_id"]}
	case strings.HasSuffix(recPath, "/servers"):
		out = map[string]any{"offer_id": m["offer_id"], "name": m["name"], "description": m["description"],
			"tags": m["tags"], "project_id": m["project_id"], "option_ids": []string{}, "protected": false}
	case strings.HasSuffix(recPath, "/install"):
		in, _ := m["install"].(map[string]any)
		out = map[string]any{"os_id": in["os_id"], "hostname": in["hostname"], "ssh_key_ids": in["ssh_key_ids"]}
	default:
		out = map[string]any{}
	}
	raw, _ := json.Marshal(out)
	return substitute(string(raw), r.ids)
}

func (r *replay) do(method, path, body string) (int, any) {
	r.t.Helper()
	req, err := http.NewRequest(method, r.f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("X-Auth-Token", r.f.creds.SecretKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := r.f.srv.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); ct != "application/json" || !isUUID(res.Header.Get("X-Request-Id")) {
		r.t.Errorf("%s %s: headers Content-Type %q, X-Request-Id %q", method, path, ct, res.Header.Get("X-Request-Id"))
	}
	v, _ := recordedJSON(string(raw))
	return res.StatusCode, v
}
