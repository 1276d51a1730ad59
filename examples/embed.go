// Package examples bundles the example requests into the binary, so that
// `accord demo` works from any directory.
package examples

import "embed"

// Requests holds requests/*.json: example requests, one or more per GDSI
// commitment. requests/README.md says what each should yield.
//
//go:embed requests/*.json
var Requests embed.FS
