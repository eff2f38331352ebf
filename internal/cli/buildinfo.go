package cli

import (
	"runtime/debug"
	"strings"
)

// Version, Commit and BuildDate describe the binary. `make build` sets them
// with -ldflags "-X github.com/tripod-dev/tripod/internal/cli.Commit=...";
// a binary built any other way (go install, go build, go run) falls back to
// what the Go toolchain recorded in it.
var (
	Version   = "dev"
	Commit    = ""
	BuildDate = ""
)

// build is what `tripod version` reports about the binary itself.
type build struct {
	Version, Commit, Date string
	Modified              bool
}

// currentBuild resolves the build's identity: linker flags first, then the
// module version and VCS stamp the toolchain embeds.
func currentBuild() build {
	return resolveBuild(Version, Commit, BuildDate, debug.ReadBuildInfo)
}

func resolveBuild(version, commit, date string, read func() (*debug.BuildInfo, bool)) build {
	b := build{Version: version, Commit: commit, Date: date}
	info, ok := read()
	if !ok {
		return b
	}
	if b.Version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		b.Version = info.Main.Version // go install module@version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			if b.Commit == "" {
				b.Commit = s.Value
			}
		case "vcs.time":
			if b.Date == "" {
				b.Date = s.Value
			}
		case "vcs.modified":
			b.Modified = b.Modified || s.Value == "true"
		}
	}
	if b.Commit == "" && strings.Count(info.Main.Version, "-") >= 2 {
		// A pseudo-version (v0.0.0-20261201120000-abcdef123456) names the commit.
		parts := strings.Split(info.Main.Version, "-")
		b.Commit = strings.TrimSuffix(parts[len(parts)-1], "+dirty")
	}
	return b
}

// String is the one-line form: "v0.1.0 (commit 1a2b3c4d5e6f, built 2026-12-01T20:00:00Z)".
func (b build) String() string {
	var extra []string
	if b.Commit != "" {
		c := b.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		if b.Modified {
			c += ", modified"
		}
		extra = append(extra, "commit "+c)
	}
	if b.Date != "" {
		extra = append(extra, "built "+b.Date)
	}
	if len(extra) == 0 {
		return b.Version
	}
	return b.Version + " (" + strings.Join(extra, ", ") + ")"
}
