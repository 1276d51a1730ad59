package advisory

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/accord-dev/accord/internal/locale"
)

// PURL is a parsed package URL (https://github.com/package-url/purl-spec):
// pkg:type/namespace/name@version?qualifiers#subpath.
type PURL struct {
	// Type is the package type, lower case (golang, npm, cargo, ...).
	Type string
	// Namespace is the namespace, "" if none (percent-decoded).
	Namespace string
	// Name is the package name (percent-decoded).
	Name string
	// Version is the version, "" if none (percent-decoded).
	Version string
}

// ParsePURL parses s as a package URL. Qualifiers and subpath are accepted
// and ignored: they do not name another package.
func ParsePURL(s string) (PURL, error) {
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return PURL{}, locale.Errorf("purl %q: must start with pkg:", s)
	}
	rest = strings.TrimLeft(rest, "/")
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	var p PURL
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		v, err := url.PathUnescape(rest[i+1:])
		if err != nil || v == "" {
			return PURL{}, locale.Errorf("purl %q: bad version", s)
		}
		p.Version, rest = v, rest[:i]
	}
	typ, path, ok := strings.Cut(rest, "/")
	if !ok || typ == "" || path == "" {
		return PURL{}, locale.Errorf("purl %q: want pkg:type/name", s)
	}
	for i := 0; i < len(typ); i++ {
		c := typ[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '+' || c == '-') {
			return PURL{}, locale.Errorf("purl %q: type %q has a bad character at byte %s", s, typ, strconv.Itoa(i))
		}
	}
	p.Type = strings.ToLower(typ)
	path = strings.Trim(path, "/")
	ns, name := "", path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		ns, name = path[:i], path[i+1:]
	}
	var err error
	if p.Name, err = url.PathUnescape(name); err != nil || p.Name == "" {
		return PURL{}, locale.Errorf("purl %q: bad name", s)
	}
	if ns != "" {
		segs := strings.Split(ns, "/")
		for i, seg := range segs {
			if segs[i], err = url.PathUnescape(seg); err != nil || segs[i] == "" {
				return PURL{}, locale.Errorf("purl %q: bad namespace", s)
			}
		}
		p.Namespace = strings.Join(segs, "/")
	}
	switch p.Type { // types whose names are case-insensitive (purl-spec)
	case "npm", "pypi", "github", "bitbucket", "cargo", "hex", "pub", "deb", "apk":
		p.Name, p.Namespace = strings.ToLower(p.Name), strings.ToLower(p.Namespace)
	}
	if p.Type == "pypi" {
		p.Name = strings.ReplaceAll(p.Name, "_", "-")
	}
	return p, nil
}

// Key names the package whatever its version: pkg:type/namespace/name.
// Two purls name the same package exactly when their keys are equal.
func (p PURL) Key() string {
	esc := func(s string) string { return strings.ReplaceAll(url.PathEscape(s), "@", "%40") }
	if p.Namespace == "" {
		return "pkg:" + p.Type + "/" + esc(p.Name)
	}
	segs := strings.Split(p.Namespace, "/")
	for i, s := range segs {
		segs[i] = esc(s)
	}
	return "pkg:" + p.Type + "/" + strings.Join(segs, "/") + "/" + esc(p.Name)
}

// ecosystemOfType maps purl types to OSV ecosystem names.
var ecosystemOfType = map[string]string{
	"golang": "Go", "npm": "npm", "cargo": "crates.io", "hex": "Hex", "pub": "Pub",
	"pypi": "PyPI", "maven": "Maven", "gem": "RubyGems", "nuget": "NuGet",
	"composer": "Packagist", "deb": "Debian", "apk": "Alpine", "swift": "SwiftURL",
}

// typeOfEcosystem is ecosystemOfType reversed.
var typeOfEcosystem = func() map[string]string {
	m := map[string]string{}
	for k, v := range ecosystemOfType {
		m[v] = k
	}
	return m
}()

// Ecosystem is the OSV ecosystem of p's type, "" if OSV has none for it.
func (p PURL) Ecosystem() string { return ecosystemOfType[p.Type] }
