package advisory

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/ossf/osv-schema/bindings/go/osvschema"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/accord-dev/accord/internal/locale"
)

// MaxAdvisory bounds an advisory document.
const MaxAdvisory = 4 << 20

//go:embed schema/osv-1.9.0.schema.json
var osvSchemaJSON []byte

var (
	osvSchemaOnce sync.Once
	osvSchema     *jsonschema.Schema
	osvSchemaErr  error
)

func compiledOSV() (*jsonschema.Schema, error) {
	osvSchemaOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(osvSchemaJSON))
		if err != nil {
			osvSchemaErr = fmt.Errorf("OSV schema: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		const url = "https://raw.githubusercontent.com/ossf/osv-schema/main/validation/schema.json"
		if err = c.AddResource(url, doc); err != nil {
			osvSchemaErr = fmt.Errorf("OSV schema: %w", err)
			return
		}
		osvSchema, osvSchemaErr = c.Compile(url)
	})
	return osvSchema, osvSchemaErr
}

// schemaError turns a jsonschema validation error into an *InputError
// naming the deepest JSON path at fault.
func schemaError(err error) error {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return inputErr("", err)
	}
	leaf := ve
	for len(leaf.Causes) > 0 {
		leaf = leaf.Causes[0]
	}
	path := "/" + strings.Join(leaf.InstanceLocation, "/")
	msg := leaf.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "at ") {
		msg = msg[i+2:]
	}
	return inputErr(path, locale.Errorf("schema: %s", msg))
}

// ParseOSV reads an OSV document: JSON Schema first (OSV 1.9.0), then the
// protobuf binding (protojson, unknown fields refused), then Accord's own
// checks (a purl or ecosystem and name per package, ranges that can be
// evaluated, a CVSS vector that parses). It returns the binding's value too.
func ParseOSV(data []byte) (*Advisory, *osvschema.Vulnerability, error) {
	if len(data) > MaxAdvisory {
		return nil, nil, atOffset(MaxAdvisory, locale.Errorf("advisory is larger than %s bytes", strconv.Itoa(MaxAdvisory)))
	}
	var probe any
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, nil, jsonErr(data, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, nil, inputErr("", locale.Errorf("invalid JSON: %v", err))
	}
	sch, err := compiledOSV()
	if err != nil {
		return nil, nil, err
	}
	if err := sch.Validate(doc); err != nil {
		return nil, nil, schemaError(err)
	}
	var v osvschema.Vulnerability
	if err := (protojson.UnmarshalOptions{}).Unmarshal(data, &v); err != nil {
		return nil, nil, inputErr("", locale.Errorf("OSV: %v", err))
	}
	a, err := fromOSV(&v)
	if err != nil {
		return nil, nil, err
	}
	return a, &v, nil
}

func fromOSV(v *osvschema.Vulnerability) (*Advisory, error) {
	a := &Advisory{Format: FormatOSV, ID: v.GetId(), Title: v.GetSummary(), Aliases: v.GetAliases()}
	if a.ID == "" {
		return nil, inputErr("/id", locale.Errorf("required"))
	}
	if t := v.GetPublished(); t != nil {
		a.Published = t.AsTime()
	}
	if t := v.GetModified(); t != nil {
		a.Modified = t.AsTime()
	}
	score := func(path string, ss []*osvschema.Severity) error {
		for i, s := range ss {
			if s.GetType() != osvschema.Severity_CVSS_V3 {
				continue
			}
			sc, err := cvss3BaseScore(s.GetScore())
			if err != nil {
				return inputErr(fmtPath("%s/%d/score", path, i), err)
			}
			a.Score = max(a.Score, sc)
		}
		return nil
	}
	if err := score("/severity", v.GetSeverity()); err != nil {
		return nil, err
	}
	for i, af := range v.GetAffected() {
		path := fmtPath("/affected/%d", i)
		if err := score(path+"/severity", af.GetSeverity()); err != nil {
			return nil, err
		}
		pk := af.GetPackage()
		p := Package{ID: fmtPath("affected/%d", i), Ecosystem: pk.GetEcosystem(), Versions: af.GetVersions()}
		eco, _, _ := strings.Cut(p.Ecosystem, ":")
		switch {
		case pk.GetPurl() != "":
			u, err := ParsePURL(pk.GetPurl())
			if err != nil {
				return nil, inputErr(path+"/package/purl", err)
			}
			p.PURL, p.Key = pk.GetPurl(), u.Key()
		case pk.GetName() != "" && typeOfEcosystem[eco] != "":
			p.Key = purlKeyOf(typeOfEcosystem[eco], pk.GetName())
		case pk.GetName() != "":
			return nil, inputErr(path+"/package/ecosystem", locale.Errorf("unknown ecosystem %q and no purl: the package cannot be named", p.Ecosystem))
		default:
			return nil, inputErr(path+"/package", locale.Errorf("a package with a name and ecosystem, or a purl, is required"))
		}
		if p.Ecosystem == "" {
			u, _ := ParsePURL(p.Key)
			eco = u.Ecosystem()
		}
		for j, r := range af.GetRanges() {
			rg := Range{Type: r.GetType().String()}
			if rg.Type == RangeEcosystem {
				rg.Ecosystem = eco
				if p.Ecosystem != "" {
					rg.Ecosystem = p.Ecosystem
				}
			}
			for _, e := range r.GetEvents() {
				rg.Events = append(rg.Events, Event{Introduced: e.GetIntroduced(), Fixed: e.GetFixed(), LastAffected: e.GetLastAffected(), Limit: e.GetLimit()})
			}
			if err := checkRange(fmtPath("%s/ranges/%d", path, j), rg); err != nil {
				return nil, err
			}
			p.Ranges = append(p.Ranges, rg)
			if rg.Type == RangeGit {
				continue
			}
			for _, e := range rg.Events {
				if e.Fixed != "" {
					a.Remedies = append(a.Remedies, Remedy{Category: RemedyVendorFix, Packages: []string{p.ID}, FixedIn: e.Fixed})
				}
			}
		}
		a.Packages = append(a.Packages, p)
	}
	a.prepare()
	return a, nil
}

// purlKeyOf builds a purl key from an OSV ecosystem's purl type and a
// package name (which may hold a namespace: "github.com/x/y", "@s/n",
// "group:artifact" for Maven).
func purlKeyOf(typ, name string) string {
	if typ == "maven" {
		name = strings.Replace(name, ":", "/", 1)
	}
	if typ == "npm" {
		name = strings.ReplaceAll(name, "@", "%40")
	}
	if u, err := ParsePURL("pkg:" + typ + "/" + name); err == nil {
		return u.Key()
	}
	return "pkg:" + typ + "/" + name
}
