package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// versionString says which build of accord this is: the module version (a
// tag such as v0.3.0 under `go install module@version`, "(devel)" when
// built from a checkout) and, when the build recorded them, the VCS
// revision, its commit time and whether the tree had uncommitted changes.
// It reads only what the Go toolchain wrote into the binary.
func versionString(bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return "unknown (no build information in this binary)"
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
	var b strings.Builder
	b.WriteString(v)
	if rev != "" {
		b.WriteString(", revision " + rev)
		if modified == "true" {
			b.WriteString(" (modified)")
		}
		if at != "" {
			b.WriteString(" of " + at)
		}
	} else {
		b.WriteString(", no VCS revision recorded (built outside a checkout, or with -buildvcs=false)")
	}
	if bi.GoVersion != "" {
		b.WriteString(", " + bi.GoVersion)
	}
	return b.String()
}

func init() {
	rootCmd.Version = versionString(debug.ReadBuildInfo())
	rootCmd.SetVersionTemplate(fmt.Sprintf("accord %s\n", "{{.Version}}"))
}
