package main

import (
	"runtime/debug"
	"testing"
)

// TestVersionString checks what accord --version prints from the build
// information the toolchain records.
func TestVersionString(t *testing.T) {
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build info", nil, false, "unknown (no build information in this binary)"},
		{"tagged install", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.3.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "7fa2065abc"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "false"}}},
			true, "v0.3.0, revision 7fa2065abc of 2026-12-01T10:00:00Z, go1.26.8"},
		{"dirty checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "7fa2065abc"}, {Key: "vcs.modified", Value: "true"}}},
			true, "(devel), revision 7fa2065abc (modified), go1.26.8"},
		{"no vcs", &debug.BuildInfo{Main: debug.Module{}}, true,
			"(devel), no VCS revision recorded (built outside a checkout, or with -buildvcs=false)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionString(tc.bi, tc.ok); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
