package model

import "strings"

// Categories is the taxonomy of data categories a request may name. Regime
// packs map their own legal terms onto these names. Names under an open
// prefix (see OpenCategoryPrefixes) may be extended by operators.
var Categories = []string{
	"personal",
	"personal.contact",
	"personal.demographic",
	"personal.health",
	"personal.genomic",
	"personal.omic",
	"personal.biometric",
	"personal.geolocation",
	"personal.geolocation.precise",
	"personal.financial",
	"personal.identifier.government",
	"personal.identifier.device",
	"personal.identifier.account",
	"personal.minor",
	"personal.religion",
	"personal.ethnic",
	"personal.political",
	"personal.sexual",
	"personal.criminal",
	"personal.employment",
	"personal.communications",
	"biospecimen",
	"government.related",
	"government.location",
	"important",
	"core",
	"cii",
	"technical",
	"technical.logs",
	"technical.telemetry",
	"nonpersonal",
}

// OpenCategoryPrefixes are prefixes under which any dotted name is valid:
// important.* and cii.* subdivide by sector, which states define.
var OpenCategoryPrefixes = []string{"important.", "core.", "cii."}

var categorySet = func() map[string]bool {
	m := make(map[string]bool, len(Categories))
	for _, c := range Categories {
		m[c] = true
	}
	return m
}()

// KnownCategory reports whether name is in the taxonomy.
func KnownCategory(name string) bool {
	if categorySet[name] {
		return true
	}
	for _, p := range OpenCategoryPrefixes {
		if rest, ok := strings.CutPrefix(name, p); ok && validSegments(rest) {
			return true
		}
	}
	return false
}

// validSegments reports whether s is one or more dot-separated segments of
// lower-case letters, digits and hyphens.
func validSegments(s string) bool {
	if s == "" {
		return false
	}
	for _, seg := range strings.Split(s, ".") {
		if seg == "" {
			return false
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// IsPersonal reports whether a category is personal information.
func IsPersonal(name string) bool {
	return name == "personal" || strings.HasPrefix(name, "personal.")
}
