package main

import (
	"fmt"
	"runtime/debug"

	"github.com/accord-dev/accord/internal/locale"
)

// versionString says, in English, which build of accord this is (see
// versionText).
func versionString(bi *debug.BuildInfo, ok bool) string {
	return versionText(locale.For("en"), bi, ok)
}

// versionText says in p's language which build of accord this is: the
// module version (a tag such as v0.3.0 under `go install module@version`,
// "(devel)" when built from a checkout) and, when the build recorded them,
// the VCS revision, its commit time and whether the tree had uncommitted
// changes. It reads only what the Go toolchain wrote into the binary.
func versionText(p *locale.Printer, bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return p.Sprintf("unknown (no build information in this binary)")
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	// The commit time stays as the toolchain recorded it (RFC 3339): it
	// identifies the build.
	var s string
	switch {
	case rev == "":
		s = p.Sprintf("%s, no VCS revision recorded (built outside a checkout, or with -buildvcs=false)", v)
	case modified == "true" && at != "":
		s = p.Sprintf("%s, revision %s (modified) of %s", v, rev, at)
	case modified == "true":
		s = p.Sprintf("%s, revision %s (modified)", v, rev)
	case at != "":
		s = p.Sprintf("%s, revision %s of %s", v, rev, at)
	default:
		s = p.Sprintf("%s, revision %s", v, rev)
	}
	if bi.GoVersion != "" {
		s += ", " + bi.GoVersion
	}
	return s
}

func init() {
	bi, ok := debug.ReadBuildInfo()
	rootCmd.Version = versionText(userPrinter(), bi, ok)
	rootCmd.SetVersionTemplate(fmt.Sprintf("accord %s\n", "{{.Version}}"))
}
