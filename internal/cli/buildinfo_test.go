package cli

import (
	"runtime/debug"
	"testing"
)

func TestBuildIdentity(t *testing.T) {
	stamped := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		}}, true
	}
	installed := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261201100000-abcdef123456"}}, true
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	for _, c := range []struct {
		name, version, commit, date string
		read                        func() (*debug.BuildInfo, bool)
		want                        string
	}{
		{"make build", "v0.3.0", "feedfacecafebeef00", "2026-12-01T20:00:00Z", stamped, "v0.3.0 (commit feedfacecafe, modified, built 2026-12-01T20:00:00Z)"},
		{"go build in a clone", "dev", "", "", stamped, "dev (commit 0123456789ab, modified, built 2026-12-01T10:00:00Z)"},
		{"go install module@version", "dev", "", "", installed, "v0.0.0-20261201100000-abcdef123456 (commit abcdef123456)"},
		{"no build info", "dev", "", "", none, "dev"},
	} {
		if got := resolveBuild(c.version, c.commit, c.date, c.read).String(); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
