package proxmox_test

import (
	"crypto/sha512"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/sim/factory"
)

const guestAgentSchematic = "customization:\n  systemExtensions:\n    officialExtensions:\n      - siderolabs/qemu-guest-agent\n"

// talosISO registers the guest-agent schematic with the factory and returns
// its nocloud ISO URL and SHA-256.
func talosISO(t *testing.T, w *world) (url, sum string) {
	t.Helper()
	id, _, err := factory.SchematicID([]byte(guestAgentSchematic))
	if err != nil {
		t.Fatal(err)
	}
	w.fac.Register(id)
	sum, _, ok := w.fac.Checksum(id, "v1.13.9", "nocloud-amd64.iso")
	if !ok {
		t.Fatal("factory does not serve the ISO")
	}
	return "https://factory.talos.dev/image/" + id + "/v1.13.9/nocloud-amd64.iso", sum
}

func download(w *world, node, url, file, algo, sum string) (string, error) {
	params := map[string]any{"url": url, "filename": file, "content": "iso"}
	if algo != "" {
		params["checksum-algorithm"], params["checksum"] = algo, sum
	}
	return post(w.client(node), "/nodes/"+node+"/storage/local/download-url", params)
}

func TestDownloadURL(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	c := w.client("pve1")
	url, sum := talosISO(t, w)

	upid, err := download(w, "pve1", url, "bad.iso", "sha256", strings.Repeat("0", 64))
	if err != nil {
		t.Fatal(err)
	}
	if st := w.wait(c, upid); st != "checksum mismatch: got '"+sum+"' != expect '"+strings.Repeat("0", 64)+"'" {
		t.Fatalf("bad checksum ended %q", st)
	}
	upid, _ = download(w, "pve1", url, "talos.iso", "sha256", sum)
	if st := w.wait(c, upid); st != "OK" {
		t.Fatalf("download ended %q", st)
	}
	content := getList(t, c, "/nodes/pve1/storage/local/content?content=iso")
	if len(content) != 1 || content[0]["volid"] != "local:iso/talos.iso" || content[0]["size"] != float64(factory.DefaultImageSize) {
		t.Fatalf("content = %v", content)
	}
	upid, _ = download(w, "pve1", url, "talos.iso", "sha256", sum)
	if st := w.wait(c, upid); st != "OK" || !strings.Contains(taskLog(t, c, upid), "no need to download") {
		t.Fatalf("re-download with the right checksum ended %q", st)
	}
	upid, _ = download(w, "pve1", url, "talos.iso", "", "")
	if st := w.wait(c, upid); !strings.HasPrefix(st, "refusing to override existing file") {
		t.Fatalf("overwrite without checksum ended %q", st)
	}

	data, _ := w.fac.Content(strings.Split(url, "/")[4], "v1.13.9", "nocloud-amd64.iso")
	s512 := sha512.Sum512(data)
	upid, _ = download(w, "pve1", url, "talos512.iso", "sha512", hex.EncodeToString(s512[:]))
	if st := w.wait(c, upid); st != "OK" {
		t.Fatalf("sha512 download ended %q", st)
	}
	upid, _ = download(w, "pve1", strings.Replace(url, "v1.13.9", "v0.0.1", 1), "old.iso", "", "")
	if st := w.wait(c, upid); !strings.HasSuffix(st, "failed: exit code 8") {
		t.Fatalf("404 download ended %q", st)
	}
	upid, _ = download(w, "pve1", "https://example.com/x.iso", "x.iso", "", "")
	if st := w.wait(c, upid); !strings.HasSuffix(st, "failed: exit code 4") {
		t.Fatalf("download from elsewhere ended %q", st)
	}
	if _, err := post(c, "/nodes/pve1/storage/local-lvm/download-url", map[string]any{"url": url, "filename": "t.iso", "content": "iso"}); apiErr(err) == nil {
		t.Fatal("ISO download accepted on a storage without iso content")
	}
	if isos := w.sim.State().ISOs["pve1"]; len(isos) != 2 {
		t.Fatalf("State().ISOs = %+v", isos)
	}
}
