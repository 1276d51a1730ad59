package advisory

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gocsaf/csaf/v3/csaf"

	"github.com/accord-dev/accord/internal/locale"
)

// CSAFMandatory lists the CSAF 2.0 mandatory tests (section 6.1) ParseCSAF
// runs itself. gocsaf's csaf_validator runs the full set only through a
// remote validator service (csaf_validator_lib), which a server must not
// depend on; these are the tests that decide what Accord matches.
var CSAFMandatory = []string{
	"6.1.1 missing definition of product id",
	"6.1.2 multiple definition of product id",
	"6.1.6 contradicting product status",
	"6.1.13 purl",
}

// ParseCSAF reads a CSAF 2.0 document: gocsaf's JSON Schema validation
// (csaf.ValidateCSAF, the CSAF 2.0 schema and the schemas it references,
// all embedded in gocsaf), gocsaf's typed decoding, then CSAFMandatory.
func ParseCSAF(data []byte) (*Advisory, *csaf.Advisory, error) {
	if len(data) > MaxAdvisory {
		return nil, nil, atOffset(MaxAdvisory, locale.Errorf("advisory is larger than %s bytes", strconv.Itoa(MaxAdvisory)))
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, jsonErr(data, err)
	}
	errs, err := csaf.ValidateCSAF(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("CSAF schema: %w", err)
	}
	if len(errs) > 0 {
		path, msg, _ := strings.Cut(errs[0], ": ")
		return nil, nil, inputErr(path, locale.Errorf("schema: %s", msg))
	}
	var c csaf.Advisory
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, nil, jsonErr(data, err)
	}
	a, err := fromCSAF(&c)
	if err != nil {
		return nil, nil, err
	}
	return a, &c, nil
}

func str[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

func ids(ps *csaf.Products) []string {
	if ps == nil {
		return nil
	}
	var out []string
	for _, p := range *ps {
		if p != nil {
			out = append(out, string(*p))
		}
	}
	return out
}

// csafProduct is a product the tree defines, with what its branches say.
type csafProduct struct {
	path     string
	purl     string
	cpe      string
	version  string // product_version branch name
	vers     string // product_version_range branch name (vers:)
	defining string // JSON path where it is defined
}

func fromCSAF(c *csaf.Advisory) (*Advisory, error) {
	d := c.Document
	a := &Advisory{Format: FormatCSAF, ID: str(d.Tracking.ID), Title: str(d.Title)}
	parse := func(path, s string) (time.Time, error) {
		if s == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return t, inputErr(path, locale.Errorf("not an RFC 3339 date-time: %q", s))
		}
		return t, nil
	}
	var err error
	if a.Published, err = parse("/document/tracking/initial_release_date", str(d.Tracking.InitialReleaseDate)); err != nil {
		return nil, err
	}
	if a.Modified, err = parse("/document/tracking/current_release_date", str(d.Tracking.CurrentReleaseDate)); err != nil {
		return nil, err
	}
	// 6.1.1 / 6.1.2: every product id defined once, every reference defined.
	products := map[string]*csafProduct{}
	define := func(path string, fp *csaf.FullProductName, branch map[string]string) error {
		if fp == nil || fp.ProductID == nil {
			return nil
		}
		id := string(*fp.ProductID)
		if prev, dup := products[id]; dup {
			return inputErr(path+"/product_id", locale.Errorf("6.1.2: product id %q is defined twice (first at %s)", id, prev.defining))
		}
		p := &csafProduct{defining: path, version: branch["product_version"], vers: branch["product_version_range"]}
		if h := fp.ProductIdentificationHelper; h != nil {
			p.purl, p.cpe = str(h.PURL), str(h.CPE)
			if p.purl != "" {
				if _, err := ParsePURL(p.purl); err != nil {
					return inputErr(path+"/product_identification_helper/purl", locale.Errorf("6.1.13: %v", err))
				}
			}
		}
		products[id] = p
		return nil
	}
	var walk func(path string, bs csaf.Branches, ctx map[string]string) error
	walk = func(path string, bs csaf.Branches, ctx map[string]string) error {
		for i, b := range bs {
			if b == nil {
				continue
			}
			p := fmtPath("%s/%d", path, i)
			next := map[string]string{}
			for k, v := range ctx {
				next[k] = v
			}
			next[str(b.Category)] = str(b.Name)
			if err := define(p+"/product", b.Product, next); err != nil {
				return err
			}
			if err := walk(p+"/branches", b.Branches, next); err != nil {
				return err
			}
		}
		return nil
	}
	if pt := c.ProductTree; pt != nil {
		if err := walk("/product_tree/branches", pt.Branches, nil); err != nil {
			return nil, err
		}
		if pt.FullProductNames != nil {
			for i, fp := range *pt.FullProductNames {
				if err := define(fmtPath("/product_tree/full_product_names/%d", i), fp, nil); err != nil {
					return nil, err
				}
			}
		}
		if pt.RelationShips != nil {
			for i, r := range *pt.RelationShips {
				if r != nil {
					if err := define(fmtPath("/product_tree/relationships/%d/full_product_name", i), r.FullProductName, nil); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	known := func(path string, list []string) error {
		for i, id := range list {
			if _, ok := products[id]; !ok {
				return inputErr(fmtPath("%s/%d", path, i), locale.Errorf("6.1.1: product id %q is not defined in the product tree", id))
			}
		}
		return nil
	}
	affected := map[string]bool{}
	fixed := map[string]bool{}
	for vi, v := range c.Vulnerabilities {
		if v == nil {
			continue
		}
		vp := fmtPath("/vulnerabilities/%d", vi)
		if v.CVE != nil {
			a.Aliases = append(a.Aliases, string(*v.CVE))
		}
		if v.DiscoveryDate != nil {
			t, err := parse(vp+"/discovery_date", *v.DiscoveryDate)
			if err != nil {
				return nil, err
			}
			if a.Discovered.IsZero() || t.Before(a.Discovered) {
				a.Discovered = t
			}
		}
		statusOf := map[string]string{}
		if ps := v.ProductStatus; ps != nil {
			groups := []struct {
				name  string
				list  *csaf.Products
				group string // affected, not, fixed, other
			}{
				{"known_affected", ps.KnownAffected, "affected"}, {"first_affected", ps.FirstAffected, "affected"},
				{"last_affected", ps.LastAffected, "affected"}, {"known_not_affected", ps.KnownNotAffected, "not"},
				{"fixed", ps.Fixed, "fixed"}, {"first_fixed", ps.FirstFixed, "fixed"},
				{"under_investigation", ps.UnderInvestigation, "investigation"}, {"recommended", ps.Recommended, "other"},
			}
			for _, g := range groups {
				list := ids(g.list)
				path := vp + "/product_status/" + g.name
				if err := known(path, list); err != nil {
					return nil, err
				}
				for i, id := range list {
					if g.group == "other" {
						continue
					}
					if prev, ok := statusOf[id]; ok && prev != g.group {
						return nil, inputErr(fmtPath("%s/%d", path, i), locale.Errorf("6.1.6: product %q is both %s and %s", id, prev, g.group))
					}
					statusOf[id] = g.group
					switch g.group {
					case "affected":
						affected[id] = true
					case "fixed":
						fixed[id] = true
					}
				}
			}
		}
		for i, s := range v.Scores {
			if s == nil {
				continue
			}
			if err := known(fmtPath("%s/scores/%d/products", vp, i), ids(s.Products)); err != nil {
				return nil, err
			}
			if s.CVSS3 != nil && s.CVSS3.BaseScore != nil {
				a.Score = max(a.Score, *s.CVSS3.BaseScore)
			}
		}
		for i, t := range v.Threats {
			if t == nil || str(t.Category) != string(csaf.CSAFThreatCategoryExploitStatus) {
				continue
			}
			if err := known(fmtPath("%s/threats/%d/product_ids", vp, i), ids(t.ProductIds)); err != nil {
				return nil, err
			}
			det := strings.ToLower(str(t.Details))
			if strings.Contains(det, "exploited") && !strings.Contains(det, "not exploited") && !strings.Contains(det, "no known") {
				a.Exploited = true
			}
		}
		for i, r := range v.Remediations {
			if r == nil {
				continue
			}
			list := ids(r.ProductIds)
			if err := known(fmtPath("%s/remediations/%d/product_ids", vp, i), list); err != nil {
				return nil, err
			}
			a.Remedies = append(a.Remedies, Remedy{Category: str(r.Category), Packages: list, Conditional: len(r.Entitlements) > 0})
		}
	}
	toPackage := func(id string) (Package, error) {
		p := products[id]
		pk := Package{ID: id, PURL: p.purl}
		if p.purl != "" {
			u, _ := ParsePURL(p.purl)
			pk.Key = u.Key()
			if u.Version != "" {
				pk.Versions = append(pk.Versions, u.Version)
			}
		}
		if p.vers != "" {
			r, err := parseVers(p.vers)
			if err != nil {
				return pk, inputErr(p.defining, locale.Errorf("product_version_range: %v", err))
			}
			pk.Ranges = append(pk.Ranges, r)
		} else if p.version != "" && !slices.Contains(pk.Versions, p.version) && len(pk.Versions) == 0 {
			pk.Versions = append(pk.Versions, p.version)
		}
		return pk, nil
	}
	for _, id := range sortedKeys(affected) {
		pk, err := toPackage(id)
		if err != nil {
			return nil, err
		}
		a.Packages = append(a.Packages, pk)
	}
	for _, id := range sortedKeys(fixed) {
		pk, err := toPackage(id)
		if err != nil {
			return nil, err
		}
		a.Fixed = append(a.Fixed, pk)
	}
	a.prepare()
	return a, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// versEcosystems maps the vers schemes (github.com/package-url/purl-spec,
// VERSION-RANGE-SPEC: the purl type names the scheme) whose versions are
// not SemVer to the OSV ecosystem whose ordering they use.
var versEcosystems = map[string]string{
	"pypi": "PyPI", "maven": "Maven", "deb": "Debian", "alpine": "Alpine", "apk": "Alpine",
	"gem": "RubyGems", "nuget": "NuGet", "composer": "Packagist", "pub": "Pub", "rpm": "Red Hat",
}

// versSemver are the vers schemes ordered as SemVer 2.0.
var versSemver = map[string]bool{"semver": true, "npm": true, "golang": true, "cargo": true, "hex": true, "generic": true}

// parseVers reads a vers range (github.com/package-url/purl-spec, VERSION-
// RANGE-SPEC) into an OSV-style range: a SEMVER range for the schemes
// semver, npm, golang, cargo, hex and generic (whose versions must be
// SemVer), an ECOSYSTEM range ordered by that ecosystem's rules for pypi,
// maven, deb, alpine (or apk), gem, nuget, composer, pub and rpm:
// "vers:deb/>=1:2.0~rc1|<1:2.4-1". Supported constraints: >=, >, <, <=, =
// and bare versions; "*" for all.
func parseVers(s string) (Range, error) {
	rest, ok := strings.CutPrefix(s, "vers:")
	if !ok {
		return Range{}, locale.Errorf("%q is not a vers: range", s)
	}
	name, cons, ok := strings.Cut(rest, "/")
	if !ok {
		return Range{}, locale.Errorf("%q: no constraints", s)
	}
	r := Range{Type: RangeSemver}
	sch := semverScheme
	switch {
	case versSemver[name]:
	case versEcosystems[name] != "":
		r.Type, r.Ecosystem = RangeEcosystem, versEcosystems[name]
		if sch, ok = schemeOf(r.Ecosystem); !ok {
			return Range{}, locale.Errorf("%q: scheme %q: %v", s, name, ErrEcosystem)
		}
	default:
		return Range{}, locale.Errorf("%q: scheme %q: %v", s, name, ErrEcosystem)
	}
	if strings.TrimSpace(cons) == "*" {
		r.Events = []Event{{Introduced: "0"}}
		return r, nil
	}
	open := false
	for _, c := range strings.Split(cons, "|") {
		c = strings.TrimSpace(c)
		var op, v string
		for _, o := range []string{">=", "<=", "!=", ">", "<", "="} {
			if strings.HasPrefix(c, o) {
				op, v = o, strings.TrimSpace(c[len(o):])
				break
			}
		}
		if op == "" {
			op, v = "=", c
		}
		if dec, err := url.PathUnescape(v); err == nil {
			v = dec // vers percent-encodes characters such as ':' of an epoch
		}
		if _, ok := sch.parse(v); !ok {
			if sch.semver {
				return Range{}, locale.Errorf("%q: %q is not SemVer", s, v)
			}
			return Range{}, locale.Errorf("%q: %q is not a %s version", s, v, sch.eco)
		}
		switch op {
		case ">=":
			r.Events, open = append(r.Events, Event{Introduced: v}), true
		case "<":
			if !open {
				r.Events = append(r.Events, Event{Introduced: "0"})
			}
			r.Events, open = append(r.Events, Event{Fixed: v}), false
		case "<=":
			if !open {
				r.Events = append(r.Events, Event{Introduced: "0"})
			}
			r.Events, open = append(r.Events, Event{LastAffected: v}), false
		case "=":
			r.Events = append(r.Events, Event{Introduced: v}, Event{LastAffected: v})
		default:
			return Range{}, locale.Errorf("%q: constraint %q is not supported (>=, <, <=, = only)", s, c)
		}
	}
	if _, ok := sortEvents(sch, r.Events); !ok {
		return Range{}, locale.Errorf("%q: versions cannot be ordered", s)
	}
	return r, nil
}
