package factory

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// DefaultVersions is the Talos release list GET /versions serves by default.
var DefaultVersions = []string{"v1.10.7", "v1.11.5", "v1.12.4", "v1.13.8", "v1.13.9"}

// DefaultImageSize is the size of every simulated image: big enough that a
// download is a real transfer, small enough for tests.
const DefaultImageSize = 4 << 20

// fileRe matches the image file names the factory builds (platform-arch,
// optionally secureboot, and a disk or ISO format).
var fileRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*-(amd64|arm64)(-secureboot)?\.(iso|raw\.xz|raw\.zst|qcow2|tar\.gz)$`)

// Factory is the simulated Image Factory. Versions and ImageSize are knobs
// the top level may change before serving.
type Factory struct {
	Versions  []string
	ImageSize int64

	env    *simcore.Env
	router *simcore.Router

	mu         sync.Mutex
	schematics map[string][]byte // ID -> canonical YAML ("" when only registered)
	sums       map[string]checksum
}

type checksum struct {
	sha256 string
	size   int64
}

// New returns a factory that knows the empty schematic.
func New(env *simcore.Env) *Factory {
	f := &Factory{
		Versions:   append([]string(nil), DefaultVersions...),
		ImageSize:  DefaultImageSize,
		env:        env,
		schematics: map[string][]byte{EmptySchematicID: []byte("customization: {}\n")},
		sums:       map[string]checksum{},
	}
	rt := simcore.NewRouter(env, simcore.APIFactory, writeErr)
	rt.Handle("POST /schematics", true, f.createSchematic)
	rt.Handle("GET /schematics/{id}", false, f.getSchematic)
	rt.Handle("GET /image/{schematic}/{version}/{file}", false, f.getImage)
	rt.Handle("GET /versions", false, f.listVersions)
	f.router = rt
	return f
}

// ServeHTTP serves the factory's routes.
func (f *Factory) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.router.ServeHTTP(w, r) }

// Register makes a schematic ID known, as if it had been posted earlier.
func (f *Factory) Register(schematicID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.schematics[schematicID]; !ok {
		f.schematics[schematicID] = nil
	}
}

// Schematics lists the known schematic IDs, sorted.
func (f *Factory) Schematics() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.schematics))
	for id := range f.schematics {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Checksum returns the SHA-256 (hex) and size of an image, and whether the
// factory would serve it (known schematic, known version, valid file name).
func (f *Factory) Checksum(schematic, version, file string) (sha256hex string, size int64, ok bool) {
	if !f.servable(schematic, version, file) {
		return "", 0, false
	}
	key := schematic + "/" + version + "/" + file
	f.mu.Lock()
	c, hit := f.sums[key]
	f.mu.Unlock()
	if hit {
		return c.sha256, c.size, true
	}
	data := f.content(schematic, version, file)
	sum := sha256.Sum256(data)
	c = checksum{sha256: hex.EncodeToString(sum[:]), size: int64(len(data))}
	f.mu.Lock()
	f.sums[key] = c
	f.mu.Unlock()
	return c.sha256, c.size, true
}

// Content returns an image's bytes (for checksum algorithms other than
// SHA-256), and whether the factory would serve it.
func (f *Factory) Content(schematic, version, file string) ([]byte, bool) {
	if !f.servable(schematic, version, file) {
		return nil, false
	}
	return f.content(schematic, version, file), true
}

func (f *Factory) servable(schematic, version, file string) bool {
	f.mu.Lock()
	_, known := f.schematics[schematic]
	versionOK := slices.Contains(f.Versions, version)
	f.mu.Unlock()
	return known && versionOK && fileRe.MatchString(file)
}

// content derives the image bytes from a hash of its coordinates: the same
// URL always yields the same bytes, across runs and processes.
func (f *Factory) content(schematic, version, file string) []byte {
	seed := sha256.Sum256([]byte(schematic + "\x00" + version + "\x00" + file))
	size := f.ImageSize
	if size <= 0 {
		size = DefaultImageSize
	}
	buf := make([]byte, size)
	_, _ = rand.NewChaCha8(seed).Read(buf)
	return buf
}

func (f *Factory) createSchematic(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeErr(w, r, http.StatusBadRequest, "failed to read request body")
		return
	}
	id, canonical, err := SchematicID(body)
	if err != nil {
		writeErr(w, r, http.StatusBadRequest, err.Error())
		return
	}
	f.mu.Lock()
	f.schematics[id] = canonical
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]string{"id": id})
}

func (f *Factory) getSchematic(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	y, ok := f.schematics[r.PathValue("id")]
	f.mu.Unlock()
	if !ok {
		writeErr(w, r, http.StatusNotFound, "schematic ID not found")
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(y)
}

func (f *Factory) getImage(w http.ResponseWriter, r *http.Request) {
	s, v, file := r.PathValue("schematic"), r.PathValue("version"), r.PathValue("file")
	data, ok := f.Content(s, v, file)
	if !ok {
		writeErr(w, r, http.StatusNotFound, fmt.Sprintf("image %s/%s/%s not found", s, v, file))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(data)
}

func (f *Factory) listVersions(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	vs := append([]string{}, f.Versions...)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(vs)
}

// writeErr answers in the factory's plain-text error style.
func writeErr(w http.ResponseWriter, _ *http.Request, status int, message string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, message+"\n")
}
