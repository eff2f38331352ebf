package proxmox

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

var (
	factoryPath  = regexp.MustCompile(`^/image/([0-9a-f]{64})/([^/]+)/([^/]+)$`)
	isoFilename  = regexp.MustCompile(`^[-\w.+]+\.(iso|img)$`)
	hashByName   = map[string]func() hash.Hash{"md5": md5.New, "sha1": sha1.New, "sha224": sha256.New224, "sha256": sha256.New, "sha384": sha512.New384, "sha512": sha512.New}
	contentTypes = map[string]string{"iso": "iso", "vztmpl": "vztmpl", "import": "import"}
)

// downloadURL is POST /nodes/{node}/storage/{storage}/download-url. The
// simulator never fetches the URL: Image Factory URLs are answered by the
// factory simulator's checksums; any other host fails like an unreachable
// one. The outcome is decided now and reported by the download task.
func (c *Cluster) downloadURL(q *call) (any, error) {
	n := q.node
	s, aerr := nodeStorageCfg(n, q.r.PathValue("storage"))
	if aerr != nil {
		return nil, aerr
	}
	content, filename := q.str("content"), q.str("filename")
	if contentTypes[content] == "" {
		return nil, paramErr(map[string]string{"content": "value '" + content + "' does not have a value in the enumeration 'iso, vztmpl, import'"})
	}
	if !s.contents()[content] {
		return nil, errf("storage '%s' is not configured for content-type '%s'", s.ID, content)
	}
	if content == "iso" && !isoFilename.MatchString(filename) {
		return nil, paramErr(map[string]string{"filename": "wrong file extension"})
	}
	algo, want := strings.ToLower(q.str("checksum-algorithm")), strings.ToLower(q.str("checksum"))
	if (algo == "") != (want == "") || (algo != "" && hashByName[algo] == nil) {
		return nil, paramErr(map[string]string{"checksum-algorithm": "'checksum' and 'checksum-algorithm' must be given together"})
	}
	dest := s.Opts["path"] + "/template/" + content + "/" + filename
	t := c.newTask(n, "download", filename, q.who, simcore.OpImageDownload)
	t.Key = q.str("url")
	t.logf("downloading %s to %s", q.str("url"), dest)
	volid := s.ID + ":" + content + "/" + filename
	if old := n.Content[s.ID][volid]; old != nil {
		t.Op = simcore.OpPVETask
		return c.existingDownload(t, old, dest, algo, want).UPID, nil
	}
	sum, size, msg := c.fetch(q.str("url"), algo, dest, t.PID)
	switch {
	case msg != "":
		t.fail(msg)
	case algo != "" && sum != want:
		t.logf("calculating checksum...")
		t.fail("checksum mismatch: got '" + sum + "' != expect '" + want + "'")
	default:
		if algo != "" {
			t.logf("calculating checksum...OK, checksum verified")
		}
		t.logf("download of '%s' to '%s' finished", q.str("url"), dest)
		sha, _, _ := c.fetch(q.str("url"), "sha256", dest, t.PID)
		t.Kind, t.Args = "download", map[string]string{"storage": s.ID, "volid": volid, "content": content,
			"size": strconv.FormatInt(size, 10), "sha256": sha}
	}
	return t.UPID, nil
}

// existingDownload is download_file_from_url when the file is already there.
func (c *Cluster) existingDownload(t *task, old *volume, dest, algo, want string) *task {
	if algo == "" {
		return t.fail("refusing to override existing file '" + dest + "'")
	}
	t.logf("calculating checksum of existing file...")
	if algo == "sha256" && old.SHA256 == want {
		t.logf("OK, got correct file already, no need to download")
		return t
	}
	got := old.SHA256
	if algo != "sha256" {
		got = "(" + algo + " of existing file)"
	}
	return t.fail("checksum mismatch: got '" + got + "' != expect '" + want + "', aborting")
}

// fetch resolves a URL to its content's checksum and size, or the error a
// failing wget leaves in the task.
func (c *Cluster) fetch(rawURL, algo, dest string, pid int) (sum string, size int64, msg string) {
	wget := "download failed: command '/usr/bin/wget -q --show-progress --output-document=" + dest + ".tmp." + strconv.Itoa(pid) + " " + rawURL + "' failed: exit code "
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", 0, wget + "1"
	}
	m := factoryPath.FindStringSubmatch(u.Path)
	if u.Host != "factory.talos.dev" || c.Images == nil {
		return "", 0, wget + "4"
	}
	if m == nil {
		return "", 0, wget + "8"
	}
	if algo == "" || algo == "sha256" {
		sha, size, ok := c.Images.Checksum(m[1], m[2], m[3])
		if !ok {
			return "", 0, wget + "8"
		}
		return sha, size, ""
	}
	data, ok := c.Images.Content(m[1], m[2], m[3])
	if !ok {
		return "", 0, wget + "8"
	}
	h := hashByName[algo]()
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil)), int64(len(data)), ""
}

func (c *Cluster) applyDownload(n *node, t *task) {
	size, _ := strconv.ParseInt(t.Args["size"], 10, 64)
	if n.Content[t.Args["storage"]] == nil {
		n.Content[t.Args["storage"]] = map[string]*volume{}
	}
	n.Content[t.Args["storage"]][t.Args["volid"]] = &volume{VolID: t.Args["volid"], Format: t.Args["content"],
		Content: t.Args["content"], Size: size, CTime: c.env.Now(), SHA256: t.Args["sha256"]}
}
