package advisory

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ossf/osv-schema/bindings/go/osvschema"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/accord-dev/accord/internal/locale"
)

// Converted is the result of a conversion: the document in the other
// format, and what could not be carried across, one line each. Nothing is
// dropped without a line in Losses.
type Converted struct {
	// Format is the format of Document: osv or csaf.
	Format string `json:"format"`
	// Document is the converted advisory, valid against its schema.
	Document json.RawMessage `json:"document"`
	// Losses says what the target format could not carry.
	Losses []string `json:"losses"`
}

// Publisher names the CSAF publisher an OSV advisory is converted for.
type Publisher struct {
	Name      string
	Namespace string // an https URL
}

// Convert converts an OSV document to CSAF 2.0 or a CSAF document to OSV
// (the format is detected), and checks the result with the target's own
// parser (schema and mandatory tests).
func Convert(data []byte, pub Publisher) (*Converted, error) {
	f, err := Detect(data)
	if err != nil {
		return nil, err
	}
	var c *Converted
	if f == FormatOSV {
		_, v, err := ParseOSV(data)
		if err != nil {
			return nil, err
		}
		c, err = osvToCSAF(v, pub)
		if err != nil {
			return nil, err
		}
		if _, _, err := ParseCSAF(c.Document); err != nil {
			return nil, fmt.Errorf("converted CSAF does not validate: %w", err)
		}
		return c, nil
	}
	a, raw, err := ParseCSAF(data)
	if err != nil {
		return nil, err
	}
	c, err = csafToOSV(a, raw.Vulnerabilities)
	if err != nil {
		return nil, err
	}
	if _, _, err := ParseOSV(c.Document); err != nil {
		return nil, fmt.Errorf("converted OSV does not validate: %w", err)
	}
	return c, nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// versScheme is the vers scheme a range of OSV ecosystem eco is carried
// as: SEMVER ranges (and SemVer ecosystems) as semver, golang, npm, cargo
// or hex; ECOSYSTEM ranges of other ecosystems by their purl type (pypi,
// maven, deb, ...), so that the CSAF side orders them by the same rules.
func versScheme(eco string, rangeType string) string {
	switch eco {
	case "Go":
		return "golang"
	case "npm":
		return "npm"
	case "crates.io":
		return "cargo"
	case "Hex":
		return "hex"
	}
	if rangeType == RangeEcosystem {
		for scheme, e := range versEcosystems {
			if e == eco && scheme != "apk" {
				return scheme
			}
		}
	}
	return "semver"
}

func osvToCSAF(v *osvschema.Vulnerability, pub Publisher) (*Converted, error) {
	if pub.Name == "" || !strings.HasPrefix(pub.Namespace, "https://") {
		return nil, inputErr("", locale.Errorf("converting to CSAF needs a publisher name and an https namespace"))
	}
	c := &Converted{Format: FormatCSAF, Losses: []string{}}
	lose := func(format string, args ...any) { c.Losses = append(c.Losses, fmt.Sprintf(format, args...)) }
	published, modified := v.GetModified().AsTime(), v.GetModified().AsTime()
	if v.GetPublished() != nil {
		published = v.GetPublished().AsTime()
	}
	title := v.GetSummary()
	if title == "" {
		title = v.GetId()
	}
	type obj = map[string]any
	var productBranches []any
	var affectedIDs []string
	var remediations []any
	var fixedIDs []string
	for i, af := range v.GetAffected() {
		pk := af.GetPackage()
		eco, _, _ := strings.Cut(pk.GetEcosystem(), ":")
		purl := pk.GetPurl()
		if purl == "" && typeOfEcosystem[eco] != "" {
			purl = purlKeyOf(typeOfEcosystem[eco], pk.GetName())
		}
		var versions []any
		for j, r := range af.GetRanges() {
			if r.GetType() == osvschema.Range_GIT {
				lose("/affected/%d/ranges/%d: GIT range (commits in %s) has no CSAF product version form; only its explicit versions are carried", i, j, r.GetRepo())
				continue
			}
			var cons []string
			var fixes []string
			for _, e := range r.GetEvents() {
				switch {
				case e.GetIntroduced() == "0":
				case e.GetIntroduced() != "":
					cons = append(cons, ">="+e.GetIntroduced())
				case e.GetFixed() != "":
					cons = append(cons, "<"+e.GetFixed())
					fixes = append(fixes, e.GetFixed())
				case e.GetLastAffected() != "":
					cons = append(cons, "<="+e.GetLastAffected())
				case e.GetLimit() != "":
					lose("/affected/%d/ranges/%d: limit event %s is not carried", i, j, e.GetLimit())
				}
			}
			if len(cons) == 0 {
				cons = []string{"*"}
			}
			id := fmt.Sprintf("OSV-%d-R%d", i, j)
			rprod := obj{"name": pk.GetName() + " " + strings.Join(cons, " "), "product_id": id}
			if purl != "" {
				rprod["product_identification_helper"] = obj{"purl": purl}
			} else {
				lose("/affected/%d: package %s has no purl and no ecosystem Accord maps to one; its CSAF product cannot be matched", i, pk.GetName())
			}
			versions = append(versions, obj{"category": "product_version_range", "name": "vers:" + versScheme(eco, r.GetType().String()) + "/" + strings.Join(cons, "|"), "product": rprod})
			affectedIDs = append(affectedIDs, id)
			for k, fx := range fixes {
				fid := fmt.Sprintf("OSV-%d-R%d-F%d", i, j, k)
				prod := obj{"name": pk.GetName() + " " + fx, "product_id": fid}
				if purl != "" {
					prod["product_identification_helper"] = obj{"purl": purl + "@" + fx}
				}
				versions = append(versions, obj{"category": "product_version", "name": fx, "product": prod})
				fixedIDs = append(fixedIDs, fid)
				remediations = append(remediations, obj{"category": "vendor_fix", "details": "Update " + pk.GetName() + " to " + fx + " or later.", "product_ids": []any{id}})
			}
		}
		for k, ver := range af.GetVersions() {
			id := fmt.Sprintf("OSV-%d-V%d", i, k)
			prod := obj{"name": pk.GetName() + " " + ver, "product_id": id}
			if purl != "" {
				prod["product_identification_helper"] = obj{"purl": purl + "@" + ver}
			}
			versions = append(versions, obj{"category": "product_version", "name": ver, "product": prod})
			affectedIDs = append(affectedIDs, id)
		}
		if af.GetEcosystemSpecific() != nil || af.GetDatabaseSpecific() != nil {
			lose("/affected/%d: ecosystem_specific and database_specific are not carried", i)
		}
		if len(af.GetSeverity()) > 0 {
			lose("/affected/%d/severity: per-package severity is carried as the document's score", i)
		}
		productBranches = append(productBranches, obj{"category": "product_name", "name": pk.GetName(), "branches": versions})
	}
	vendorName := "OSV"
	vuln := obj{"title": title}
	var notes []any
	if v.GetDetails() != "" {
		notes = append(notes, obj{"category": "description", "text": v.GetDetails(), "title": "Details"})
	}
	notes = append(notes, obj{"category": "summary", "text": title, "title": "Summary"})
	var ids []any
	for _, al := range v.GetAliases() {
		if strings.HasPrefix(al, "CVE-") && vuln["cve"] == nil {
			vuln["cve"] = al
			continue
		}
		ids = append(ids, obj{"system_name": "alias", "text": al})
	}
	ids = append(ids, obj{"system_name": "OSV", "text": v.GetId()})
	vuln["ids"] = ids
	status := obj{}
	if len(affectedIDs) > 0 {
		status["known_affected"] = toAny(affectedIDs)
	}
	if len(fixedIDs) > 0 {
		status["fixed"] = toAny(fixedIDs)
	}
	vuln["product_status"] = status
	if len(remediations) > 0 {
		vuln["remediations"] = remediations
	}
	for _, s := range v.GetSeverity() {
		if s.GetType() != osvschema.Severity_CVSS_V3 || len(affectedIDs) == 0 {
			lose("/severity: %s score %q is not carried (CSAF 2.0 takes CVSS v2 and v3)", s.GetType(), s.GetScore())
			continue
		}
		score, _ := cvss3BaseScore(s.GetScore())
		ver := strings.TrimPrefix(strings.SplitN(s.GetScore(), "/", 2)[0], "CVSS:")
		vuln["scores"] = []any{obj{"products": toAny(affectedIDs), "cvss_v3": obj{"version": ver, "vectorString": s.GetScore(), "baseScore": score, "baseSeverity": strings.ToUpper((&Advisory{Score: score}).Severity())}}}
		break
	}
	var refs []any
	for _, r := range v.GetReferences() {
		refs = append(refs, obj{"category": "external", "summary": r.GetType().String(), "url": r.GetUrl()})
	}
	if len(v.GetCredits()) > 0 {
		lose("/credits: %d credits are not carried (CSAF acknowledgments name people; Accord does not copy them)", len(v.GetCredits()))
	}
	if len(v.GetRelated()) > 0 || len(v.GetUpstream()) > 0 {
		lose("/related, /upstream: %d related ids are not carried", len(v.GetRelated())+len(v.GetUpstream()))
	}
	if v.GetDatabaseSpecific() != nil {
		lose("/database_specific is not carried")
	}
	if v.GetWithdrawn() != nil {
		lose("/withdrawn: CSAF has no withdrawn date; the advisory should be revised instead")
	}
	lose("remedies: OSV states only fixed versions; no workaround or mitigation is carried because OSV has none to carry")
	doc := obj{
		"document": obj{
			"category": "csaf_security_advisory", "csaf_version": "2.0", "title": title, "notes": notes,
			"publisher": obj{"category": "vendor", "name": pub.Name, "namespace": pub.Namespace},
			"tracking": obj{"id": v.GetId(), "status": "final", "version": "1", "initial_release_date": rfc3339(published), "current_release_date": rfc3339(modified),
				"revision_history": []any{obj{"date": rfc3339(modified), "number": "1", "summary": "Converted from OSV " + v.GetId()}}},
		},
		"product_tree":    obj{"branches": []any{obj{"category": "vendor", "name": vendorName, "branches": productBranches}}},
		"vulnerabilities": []any{vuln},
	}
	if len(refs) > 0 {
		doc["document"].(obj)["references"] = refs
	}
	raw, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode CSAF: %w", err)
	}
	c.Document = raw
	return c, nil
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func csafToOSV(a *Advisory, vulns any) (*Converted, error) {
	c := &Converted{Format: FormatOSV, Losses: []string{}}
	lose := func(format string, args ...any) { c.Losses = append(c.Losses, fmt.Sprintf(format, args...)) }
	id := a.ID
	v := &osvschema.Vulnerability{SchemaVersion: "1.6.0", Id: "x_" + id, Summary: a.Title, Aliases: a.Aliases,
		Modified: timestamppb.New(a.Modified), Published: timestamppb.New(a.Published)}
	if !strings.HasPrefix(id, "x_") {
		lose("/document/tracking/id: %s is not an OSV home database id; it becomes %s", id, v.Id)
	}
	type key struct{ purl, eco string }
	byPkg := map[string]*osvschema.Affected{}
	var order []string
	for _, p := range a.Packages {
		if p.Key == "" {
			lose("product %s: no purl, so no OSV package", p.ID)
			continue
		}
		u, _ := ParsePURL(p.Key)
		eco := u.Ecosystem()
		if eco == "" {
			lose("product %s: purl type %q has no OSV ecosystem", p.ID, u.Type)
			continue
		}
		name := u.Name
		if u.Namespace != "" {
			sep := "/"
			if u.Type == "maven" {
				sep = ":"
			}
			name = u.Namespace + sep + u.Name
		}
		af, ok := byPkg[p.Key]
		if !ok {
			af = &osvschema.Affected{Package: &osvschema.Package{Ecosystem: eco, Name: name, Purl: p.Key}}
			byPkg[p.Key] = af
			order = append(order, p.Key)
		}
		af.Versions = append(af.Versions, p.Versions...)
		for _, r := range p.Ranges {
			rg := &osvschema.Range{Type: osvschema.Range_SEMVER}
			if r.Type == RangeEcosystem {
				rg.Type = osvschema.Range_ECOSYSTEM
				if base, _, _ := strings.Cut(r.Ecosystem, ":"); base != eco {
					lose("product %s: its range is ordered as %s, but OSV orders a range by the package's ecosystem, %s", p.ID, r.Ecosystem, eco)
				}
			}
			for _, e := range r.Events {
				rg.Events = append(rg.Events, &osvschema.Event{Introduced: e.Introduced, Fixed: e.Fixed, LastAffected: e.LastAffected})
			}
			af.Ranges = append(af.Ranges, rg)
		}
	}
	sort.Strings(order)
	for _, k := range order {
		v.Affected = append(v.Affected, byPkg[k])
	}
	if a.Score > 0 {
		lose("scores: the CVSS base score %.1f is kept only through its vector when one is given; CSAF scores per product are flattened", a.Score)
	}
	if raw, err := json.Marshal(vulns); err == nil {
		var vs []struct {
			Scores []struct {
				CVSS3 *struct {
					Vector string `json:"vectorString"`
				} `json:"cvss_v3"`
			} `json:"scores"`
		}
		json.Unmarshal(raw, &vs)
		seen := map[string]bool{}
		for _, vv := range vs {
			for _, s := range vv.Scores {
				if s.CVSS3 != nil && !seen[s.CVSS3.Vector] {
					seen[s.CVSS3.Vector] = true
					v.Severity = append(v.Severity, &osvschema.Severity{Type: osvschema.Severity_CVSS_V3, Score: s.CVSS3.Vector})
				}
			}
		}
	}
	for _, r := range a.Remedies {
		if r.Category != RemedyVendorFix {
			lose("remediation %s for %v: OSV has no remedy other than fixed versions", r.Category, r.Packages)
		}
	}
	if a.Exploited {
		lose("threats: exploitation status is not carried (OSV has no field for it)")
	}
	if !a.Discovered.IsZero() {
		lose("discovery_date %s is not carried (OSV has no field for it)", rfc3339(a.Discovered))
	}
	lose("notes, references, acknowledgments and the publisher are not carried")
	raw, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode OSV: %w", err)
	}
	c.Document = raw
	return c, nil
}
