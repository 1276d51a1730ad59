package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeJurisdictions is the small set of codes the tests know; the real
// registry lives in internal/registry.
type fakeJurisdictions map[string]bool

func (f fakeJurisdictions) KnownJurisdiction(code string) bool { return f[code] }

var testJurisdictions = fakeJurisdictions{
	"FR": true, "DE": true, "CN": true, "US": true, "BE": true, "GB": true,
	"IE": true, "NL": true, "JP": true, "BR": true, "IN": true, "ZA": true, "SG": true,
}

// designRequest is the request shown in DESIGN.md, without its comments.
const designRequest = `{
  "action": "access",
  "requester": {"id": "bka", "kind": "state-authority", "role": "law-enforcement", "jurisdiction": "DE"},
  "on_behalf_of": null,
  "data": {
    "dataset": "crm-eu",
    "location": "FR",
    "origin": ["FR"],
    "categories": ["personal.contact"],
    "subjects": {"FR": 12, "BE": 1},
    "records": 13,
    "classification": "general",
    "cii": null
  },
  "destination": "DE",
  "purpose": "law-enforcement",
  "selectors": {"kind": "specific", "count": 1},
  "basis": {"kind": "mla", "ref": "MLA-2026-0042", "agreement": "de-fr-mlat", "authorizations": []},
  "time": "2026-11-22T10:00:00Z"
}`

func TestDecodeRequestDesignExample(t *testing.T) {
	got, err := DecodeRequest([]byte(designRequest), testJurisdictions)
	if err != nil {
		t.Fatalf("DecodeRequest: %v", err)
	}
	want := &Request{
		Action:    ActionAccess,
		Requester: Principal{ID: "bka", Kind: KindStateAuthority, Role: "law-enforcement", Jurisdiction: "DE"},
		Data: Data{
			Dataset:        "crm-eu",
			Location:       "FR",
			Origin:         []string{"FR"},
			Categories:     []string{"personal.contact"},
			Subjects:       map[string]int64{"FR": 12, "BE": 1},
			Records:        13,
			Classification: ClassGeneral,
		},
		Destination: "DE",
		Purpose:     PurposeLawEnforcement,
		Selectors:   Selectors{Kind: SelectorSpecific, Count: 1},
		Basis:       Basis{Kind: "mla", Ref: "MLA-2026-0042", Agreement: "de-fr-mlat", Authorizations: []Envelope{}},
		Time:        time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
	}
	if !requestsEqual(got, want) {
		t.Errorf("DecodeRequest:\n got %+v\nwant %+v", got, want)
	}
}

// TestDecodeRequestAllFields decodes a request that sets every member, so
// that every branch of the decoder that fills a value runs at least once.
func TestDecodeRequestAllFields(t *testing.T) {
	in := `{
	  "action": "transfer",
	  "requester": {"id": "acme", "kind": "company", "role": "processor", "jurisdiction": "IE",
	    "headquarters": "US", "owners": {"US": 60, "CN": 40.5}, "residence": "FR", "employer": "DE", "ciio": true},
	  "on_behalf_of": {"id": "mps", "kind": "state-authority", "jurisdiction": "CN"},
	  "data": {"dataset": "d", "location": "IE", "origin": ["IE", "FR"], "categories": ["personal.health", "cii.energy.grid"],
	    "subjects": {"FR": 0}, "records": 5, "devices": 7, "classification": "important",
	    "cii": {"state": "IE", "sector": "energy"}, "protections": ["encrypted", "pseudonymized"]},
	  "destination": "CN",
	  "purpose": "commercial",
	  "transaction": "vendor",
	  "selectors": {"kind": "bulk", "count": 1000},
	  "basis": {"kind": "contract", "ref": "C-1", "agreement": "x", "measures": ["scc"],
	    "authorizations": [{"payloadType": "application/vnd.accord.authorization+json", "payload": "e30=",
	      "signatures": [{"keyid": "k1", "sig": "c2ln"}]}]},
	  "time": "2026-01-02T03:04:05.5+01:00",
	  "history": {"rolling_12m": {"US": {"personal.health": {"subjects": 99000, "devices": 3}}},
	    "year_to_date": {"FR": {"personal": {"subjects": 1}}}}
	}`
	got, err := DecodeRequest([]byte(in), testJurisdictions)
	if err != nil {
		t.Fatalf("DecodeRequest: %v", err)
	}
	want := &Request{
		Action: ActionTransfer,
		Requester: Principal{ID: "acme", Kind: KindCompany, Role: "processor", Jurisdiction: "IE",
			Headquarters: "US", Owners: map[string]float64{"US": 60, "CN": 40.5}, Residence: "FR", Employer: "DE", CIIO: true},
		OnBehalfOf: &Principal{ID: "mps", Kind: KindStateAuthority, Jurisdiction: "CN"},
		Data: Data{Dataset: "d", Location: "IE", Origin: []string{"IE", "FR"},
			Categories: []string{"personal.health", "cii.energy.grid"}, Subjects: map[string]int64{"FR": 0},
			Records: 5, Devices: 7, Classification: ClassImportant, CII: &CII{State: "IE", Sector: "energy"},
			Protections: []string{"encrypted", "pseudonymized"}},
		Destination: "CN",
		Purpose:     PurposeCommercial,
		Transaction: "vendor",
		Selectors:   Selectors{Kind: SelectorBulk, Count: 1000},
		Basis: Basis{Kind: "contract", Ref: "C-1", Agreement: "x", Measures: []string{"scc"},
			Authorizations: []Envelope{{PayloadType: "application/vnd.accord.authorization+json", Payload: "e30=",
				Signatures: []Signature{{KeyID: "k1", Sig: "c2ln"}}}}},
		Time: time.Date(2026, 1, 2, 2, 4, 5, 5e8, time.UTC),
		History: &History{
			Rolling12m: map[string]map[string]Count{"US": {"personal.health": {Subjects: 99000, Devices: 3}}},
			YearToDate: map[string]map[string]Count{"FR": {"personal": {Subjects: 1}}},
		},
	}
	if !requestsEqual(got, want) {
		t.Errorf("DecodeRequest:\n got %+v\nwant %+v", got, want)
	}
}

// requestsEqual compares requests, times by instant (a parsed offset and
// UTC are the same instant but not the same time.Time value).
func requestsEqual(a, b *Request) bool {
	if !a.Time.Equal(b.Time) {
		return false
	}
	x, y := *a, *b
	x.Time, y.Time = time.Time{}, time.Time{}
	return reflect.DeepEqual(x, y)
}

// Builders for small invalid requests: a minimal valid request with extra
// members at the top, in data, or in requester.
const minimalRequest = `{"action":"access","requester":{"kind":"company","jurisdiction":"FR"},"data":{"location":"FR"}}`

func top(extra string) string {
	return `{"action":"access","requester":{"kind":"company","jurisdiction":"FR"},"data":{"location":"FR"},` + extra + `}`
}

func data(extra string) string {
	return `{"action":"access","requester":{"kind":"company","jurisdiction":"FR"},"data":{"location":"FR",` + extra + `}}`
}

func requester(extra string) string {
	return `{"action":"access","requester":{"kind":"company","jurisdiction":"FR",` + extra + `},"data":{"location":"FR"}}`
}

// invalidCase is one bad input and the exact error it must produce.
// schemaBlind, when set, says why docs/schema/request.schema.json cannot
// reject the input too (schema_test.go skips it in the agreement test).
type invalidCase struct {
	name        string
	in          string
	want        string
	schemaBlind string
}

const (
	blindRegistry = "the schema checks the form of a code, the registry which codes exist"
	blindSyntax   = "not JSON: the schema validator fails to parse it, as it should"
	blindDup      = "JSON Schema sees a parsed object, where duplicate keys are gone"
	blindTrailing = "trailing data is a parse error, not a schema error"
)

var invalidRequests = []invalidCase{
	// The document as a whole.
	{"empty", ``, `empty input, expected a JSON object`, blindSyntax},
	{"only whitespace", " \n\t ", `empty input, expected a JSON object`, blindSyntax},
	{"top-level array", `[1]`, `line 1, column 1: expected a JSON object at the top level, got array`, ""},
	{"top-level string", "\n  \"x\"", `line 2, column 3: expected a JSON object at the top level, got string`, ""},
	{"top-level null", `null`, `line 1, column 1: expected a JSON object at the top level, got null`, ""},
	{"trailing object", minimalRequest + " {}", fmt.Sprintf(`line 1, column %d: unexpected data after the top-level object`, len(minimalRequest)+2), blindTrailing},
	{"trailing garbage", minimalRequest + "\nx", `line 2, column 1: unexpected data after the top-level object`, blindTrailing},
	{"unterminated", `{"action": "access"`, `line 1, column 20: unexpected end of input`, blindSyntax},
	{"unterminated string", `{"action": "acc`, `action: line 1, column 16: unexpected end of input`, blindSyntax},
	{"syntax error in data", "{\n  \"action\": \"access\",\n  \"data\": {\"location\" \"FR\"}\n}",
		`data.location: line 3, column 23: invalid character '"' after object key`, blindSyntax},
	{"syntax error in a value", "{\n\"action\":\n  \"access\",\n  \"data\": {\"records\": x}}",
		`data.records: line 4, column 23: invalid character 'x' looking for beginning of value`, blindSyntax},
	{"syntax error in an array", `{"data": {"origin": ["FR", x]}}`, `data.origin[1]: line 1, column 28: invalid character 'x' looking for beginning of value`, blindSyntax},
	{"trailing comma in an array", `{"data": {"origin": ["FR",]}}`, `data.origin[1]: line 1, column 27: invalid character ']' looking for beginning of value`, blindSyntax},
	{"syntax error after a nested object", `{"data": {"cii": {"state": "FR"} "x": 1}}`, `data: line 1, column 34: invalid character '"' after object key:value pair`, blindSyntax},
	{"truncated literal", `{"history": nul`, `history: line 1, column 16: unexpected end of input`, blindSyntax},
	{"cut-off number", `{"data": {"records": 1`, `data: line 1, column 23: unexpected end of input`, blindSyntax},
	{"too deep", `{"data": {"origin": ` + strings.Repeat("[", 10000),
		`data.origin` + strings.Repeat("[0]", 30) + `…: line 1, column 10019: invalid character '[' exceeded max depth`, blindSyntax},
	{"bad escape", `{"action": "\q"}`, `action: line 1, column 14: invalid character 'q' in string escape code`, blindSyntax},
	{"column counts characters", `{"requester": {"id": "é€", x}}`, `requester: line 1, column 28: invalid character 'x' looking for beginning of object key string`, blindSyntax},

	// Unknown fields, at any depth and in any case.
	{"unknown top-level field", top(`"foo": 1`), `foo: unknown field`, ""},
	{"unknown data field", data(`"foo": 1`), `data.foo: unknown field`, ""},
	{"unknown requester field", requester(`"name": "x"`), `requester.name: unknown field`, ""},
	{"unknown cii field", data(`"cii": {"state": "FR", "owner": "x"}`), `data.cii.owner: unknown field`, ""},
	{"unknown selectors field", top(`"selectors": {"kind": "bulk", "n": 1}`), `selectors.n: unknown field`, ""},
	{"unknown basis field", top(`"basis": {"kind": "mla", "court": "x"}`), `basis.court: unknown field`, ""},
	{"unknown envelope field", top(`"basis": {"authorizations": [{"payloadType": "t", "payload": "p", "signatures": [], "x": 1}]}`), `basis.authorizations[0].x: unknown field`, ""},
	{"unknown history count field", top(`"history": {"rolling_12m": {"US": {"personal.health": {"subjects": 1, "people": 2}}}}`), `history.rolling_12m.US["personal.health"].people: unknown field`, ""},
	{"field names are case-sensitive", top(`"Purpose": "research"`), `Purpose: unknown field; did you mean "purpose"?`, ""},
	{"odd field name is quoted", data(`"a b": 1`), `data["a b"]: unknown field`, ""},

	// Missing required fields.
	{"missing action", `{"requester":{"kind":"company","jurisdiction":"FR"},"data":{"location":"FR"}}`, `action: missing required field`, ""},
	{"missing requester", `{"action":"access","data":{"location":"FR"}}`, `requester: missing required field`, ""},
	{"missing requester kind", `{"action":"access","requester":{"jurisdiction":"FR"},"data":{"location":"FR"}}`, `requester.kind: missing required field`, ""},
	{"missing requester jurisdiction", `{"action":"access","requester":{"kind":"company"},"data":{"location":"FR"}}`, `requester.jurisdiction: missing required field`, ""},
	{"missing data", `{"action":"access","requester":{"kind":"company","jurisdiction":"FR"}}`, `data: missing required field`, ""},
	{"missing data location", `{"action":"access","requester":{"kind":"company","jurisdiction":"FR"},"data":{"records":1}}`, `data.location: missing required field`, ""},
	{"missing on_behalf_of jurisdiction", top(`"on_behalf_of": {"kind": "state-authority"}`), `on_behalf_of.jurisdiction: missing required field`, ""},
	{"missing cii state", data(`"cii": {"sector": "energy"}`), `data.cii.state: missing required field`, ""},
	{"missing signature", top(`"basis": {"authorizations": [{"payloadType": "t", "payload": "p", "signatures": [{"keyid": "k"}]}]}`), `basis.authorizations[0].signatures[0].sig: missing required field`, ""},

	// Wrong JSON types.
	{"records as string", data(`"records": "13"`), `data.records: expected integer, got string`, ""},
	{"records as fraction", data(`"records": 1.5`), `data.records: expected integer, got number`, ""},
	{"records out of range", data(`"records": 99999999999999999999`), `data.records: integer 99999999999999999999 out of range`, ""},
	{"action as number", `{"action":1,"requester":{"kind":"company","jurisdiction":"FR"},"data":{"location":"FR"}}`, `action: expected string, got number`, ""},
	{"requester as array", `{"action":"access","requester":[],"data":{"location":"FR"}}`, `requester: expected object, got array`, ""},
	{"data null", `{"action":"access","requester":{"kind":"company","jurisdiction":"FR"},"data":null}`, `data: expected object, got null`, ""},
	{"origin as string", data(`"origin": "FR"`), `data.origin: expected array, got string`, ""},
	{"origin element as number", data(`"origin": ["FR", 1]`), `data.origin[1]: expected string, got number`, ""},
	{"origin null", data(`"origin": null`), `data.origin: expected array, got null`, ""},
	{"subjects value as string", data(`"subjects": {"FR": "12"}`), `data.subjects.FR: expected integer, got string`, ""},
	{"subjects as array", data(`"subjects": [12]`), `data.subjects: expected object, got array`, ""},
	{"on_behalf_of as string", top(`"on_behalf_of": "x"`), `on_behalf_of: expected object, got string`, ""},
	{"ciio as string", requester(`"ciio": "yes"`), `requester.ciio: expected boolean, got string`, ""},
	{"owners value as string", requester(`"owners": {"CN": "most"}`), `requester.owners.CN: expected number, got string`, ""},
	{"selectors count as boolean", top(`"selectors": {"count": true}`), `selectors.count: expected integer, got boolean`, ""},
	{"time as number", top(`"time": 1700000000`), `time: expected string, got number`, ""},

	// Unknown enumeration values.
	{"transfer without destination", `{"action":"transfer","requester":{"kind":"company","jurisdiction":"FR"},"data":{"location":"FR","subjects":{"FR":500000},"categories":["personal.health"]}}`, `destination: required for action "transfer": say which state the data goes to (for data read in place from abroad, the reader's state)`, ""},
	{"notify carrying a personal category", `{"action":"notify","requester":{"kind":"company","role":"vendor","jurisdiction":"JP"},"data":{"location":"JP","categories":["technical","personal.contact"]}}`, `data.categories[1]: a notice (action "notify") carries no one's data; to send data about people or critical infrastructure, use disclose`, ""},
	{"notify counting subjects under a technical label", `{"action":"notify","requester":{"kind":"company","role":"vendor","jurisdiction":"JP"},"data":{"location":"JP","categories":["technical.logs"],"subjects":{"FR":500000}}}`, `data.subjects.FR: a notice (action "notify") carries no one's data; to send data about people or critical infrastructure, use disclose`, ""},
	{"notify counting devices", `{"action":"notify","requester":{"kind":"company","role":"vendor","jurisdiction":"JP"},"data":{"location":"JP","devices":3}}`, `data.devices: a notice (action "notify") carries no one's data; to send data about people or critical infrastructure, use disclose`, ""},
	{"notify marking CII data", `{"action":"notify","requester":{"kind":"company","role":"vendor","jurisdiction":"JP"},"data":{"location":"JP","cii":{"state":"FR"}}}`, `data.cii: a notice (action "notify") carries no one's data; to send data about people or critical infrastructure, use disclose`, ""},
	{"disclose without destination", `{"action":"disclose","requester":{"kind":"company","jurisdiction":"FR"},"data":{"location":"FR"}}`, `destination: required for action "disclose": say which state the data goes to (for data read in place from abroad, the reader's state)`, ""},
	{"unknown action", `{"action":"fly","requester":{"kind":"company","jurisdiction":"FR"},"data":{"location":"FR"}}`, `action: unknown value "fly" (one of access, transfer, disclose, collect, modify, delete, localize, notify)`, ""},
	{"unknown purpose", top(`"purpose": "curiosity"`), `purpose: unknown value "curiosity" (one of commercial, research, law-enforcement, national-security, repatriation, maintenance, employment, emergency, litigation)`, ""},
	// A transaction kind no regime knows would fire nothing and be allowed:
	// it is bad input (us-dsp failed open on a typo).
	{"unknown transaction", top(`"transaction": "data-brokering"`), `transaction: unknown value "data-brokering" (one of data-brokerage, vendor, employment, investment, cross-border-shopping, cross-border-delivery, cross-border-remittance, cross-border-payment, cross-border-account-opening, travel-booking, visa-application, examination-services)`, ""},
	{"transaction case", top(`"transaction": "Vendor"`), `transaction: unknown value "Vendor" (one of data-brokerage, vendor, employment, investment, cross-border-shopping, cross-border-delivery, cross-border-remittance, cross-border-payment, cross-border-account-opening, travel-booking, visa-application, examination-services)`, ""},
	{"transaction not a string", top(`"transaction": 3`), `transaction: expected string, got number`, ""},
	{"unknown frequency", top(`"frequency": "often"`), `frequency: unknown value "often" (one of occasional, systematic)`, ""},
	{"unknown exporter kind", top(`"exporter": {"kind": "firm", "jurisdiction": "US"}`), `exporter.kind: unknown value "firm" (one of state-authority, company, individual, organization)`, ""},
	{"importer without jurisdiction", top(`"importer": {"kind": "company"}`), `importer.jurisdiction: missing required field`, ""},
	{"importer unknown member", top(`"importer": {"kind": "company", "jurisdiction": "CN", "nationality": "CN"}`), `importer.nationality: unknown field`, ""},
	{"importer owners over 100", top(`"importer": {"kind": "company", "jurisdiction": "SG", "owners": {"CN": 150}}`), `importer.owners.CN: must be between 0 and 100, got 150`, ""},
	{"unknown selectors kind", top(`"selectors": {"kind": "all"}`), `selectors.kind: unknown value "all" (one of specific, bulk)`, ""},
	{"unknown basis kind", top(`"basis": {"kind": "warrant"}`), `basis.kind: unknown value "warrant" (one of mla, agreement, consent, contract, authorization, emergency, legal-obligation, none)`, ""},
	{"unknown classification", data(`"classification": "secret"`), `data.classification: unknown value "secret" (one of general, important, core)`, ""},
	{"unknown protection", data(`"protections": ["encrypted", "hashed"]`), `data.protections[1]: unknown value "hashed" (one of encrypted, pseudonymized, deidentified, anonymized)`, ""},
	{"unknown requester kind", `{"action":"access","requester":{"kind":"robot","jurisdiction":"FR"},"data":{"location":"FR"}}`, `requester.kind: unknown value "robot" (one of state-authority, company, individual, organization)`, ""},
	{"unknown on_behalf_of kind", top(`"on_behalf_of": {"kind": "state", "jurisdiction": "CN"}`), `on_behalf_of.kind: unknown value "state" (one of state-authority, company, individual, organization)`, ""},
	{"enum values are case-sensitive", `{"action":"Access","requester":{"kind":"company","jurisdiction":"FR"},"data":{"location":"FR"}}`, `action: unknown value "Access" (one of access, transfer, disclose, collect, modify, delete, localize, notify)`, ""},

	// Unknown jurisdictions, wherever one appears.
	{"unknown requester jurisdiction", `{"action":"access","requester":{"kind":"company","jurisdiction":"XX"},"data":{"location":"FR"}}`, `requester.jurisdiction: unknown jurisdiction "XX"`, blindRegistry},
	{"lower-case jurisdiction", `{"action":"access","requester":{"kind":"company","jurisdiction":"fr"},"data":{"location":"FR"}}`, `requester.jurisdiction: unknown jurisdiction "fr"`, ""},
	{"three-letter jurisdiction", `{"action":"access","requester":{"kind":"company","jurisdiction":"FRA"},"data":{"location":"FR"}}`, `requester.jurisdiction: unknown jurisdiction "FRA" (use the two-letter code, such as FR)`, ""},
	{"empty jurisdiction", `{"action":"access","requester":{"kind":"company","jurisdiction":""},"data":{"location":"FR"}}`, `requester.jurisdiction: unknown jurisdiction ""`, ""},
	{"unknown on_behalf_of jurisdiction", top(`"on_behalf_of": {"kind": "state-authority", "jurisdiction": "XX"}`), `on_behalf_of.jurisdiction: unknown jurisdiction "XX"`, blindRegistry},
	{"unknown location", `{"action":"access","requester":{"kind":"company","jurisdiction":"FR"},"data":{"location":"XX"}}`, `data.location: unknown jurisdiction "XX"`, blindRegistry},
	{"unknown origin", data(`"origin": ["FR", "XX"]`), `data.origin[1]: unknown jurisdiction "XX"`, blindRegistry},
	{"lower-case origin", data(`"origin": ["FR", "de"]`), `data.origin[1]: unknown jurisdiction "de"`, ""},
	{"unknown subjects state", data(`"subjects": {"FR": 12, "XX": 1}`), `data.subjects.XX: unknown jurisdiction "XX"`, blindRegistry},
	{"malformed subjects state", data(`"subjects": {"France": 1}`), `data.subjects.France: unknown jurisdiction "France"`, ""},
	{"unknown destination", top(`"destination": "XX"`), `destination: unknown jurisdiction "XX"`, blindRegistry},
	{"malformed destination", top(`"destination": "D E"`), `destination: unknown jurisdiction "D E"`, ""},
	{"unknown cii state", data(`"cii": {"state": "XX"}`), `data.cii.state: unknown jurisdiction "XX"`, blindRegistry},
	{"unknown owner state", requester(`"owners": {"XX": 10}`), `requester.owners.XX: unknown jurisdiction "XX"`, blindRegistry},
	{"unknown headquarters", requester(`"headquarters": "XX"`), `requester.headquarters: unknown jurisdiction "XX"`, blindRegistry},
	{"unknown residence", requester(`"residence": "XX"`), `requester.residence: unknown jurisdiction "XX"`, blindRegistry},
	{"unknown employer", requester(`"employer": "xx"`), `requester.employer: unknown jurisdiction "xx"`, ""},
	{"unknown history state", top(`"history": {"rolling_12m": {"XX": {"personal": {"subjects": 1}}}}`), `history.rolling_12m.XX: unknown jurisdiction "XX"`, blindRegistry},
	{"malformed history state", top(`"history": {"year_to_date": {"usa": {"personal": {"subjects": 1}}}}`), `history.year_to_date.usa: unknown jurisdiction "usa"`, ""},

	// Unknown categories.
	{"unknown category", data(`"categories": ["personal.contact", "personal.shoe-size"]`), `data.categories[1]: unknown category "personal.shoe-size"`, ""},
	{"empty open category", data(`"categories": ["cii."]`), `data.categories[0]: unknown category "cii."`, ""},
	{"unknown history category", top(`"history": {"rolling_12m": {"US": {"health": {"subjects": 1}}}}`), `history.rolling_12m.US.health: unknown category "health"`, ""},

	// Negative counts and out-of-range numbers.
	{"negative records", data(`"records": -1`), `data.records: must not be negative, got -1`, ""},
	{"negative devices", data(`"devices": -7`), `data.devices: must not be negative, got -7`, ""},
	{"negative subjects", data(`"subjects": {"FR": -3}`), `data.subjects.FR: must not be negative, got -3`, ""},
	{"negative selectors count", top(`"selectors": {"kind": "specific", "count": -1}`), `selectors.count: must not be negative, got -1`, ""},
	{"negative history subjects", top(`"history": {"rolling_12m": {"US": {"personal.health": {"subjects": -5}}}}`), `history.rolling_12m.US["personal.health"].subjects: must not be negative, got -5`, ""},
	{"negative history devices", top(`"history": {"year_to_date": {"CN": {"personal": {"subjects": 1, "devices": -1}}}}`), `history.year_to_date.CN.personal.devices: must not be negative, got -1`, ""},
	{"owner share above 100", requester(`"owners": {"CN": 150}`), `requester.owners.CN: must be between 0 and 100, got 150`, ""},
	{"negative owner share", requester(`"owners": {"CN": -1}`), `requester.owners.CN: must be between 0 and 100, got -1`, ""},

	// Timestamps.
	{"time in words", top(`"time": "yesterday"`), `time: expected an RFC 3339 date-time such as "2026-11-22T10:00:00Z", got "yesterday"`, ""},
	{"time without zone", top(`"time": "2026-11-22T10:00:00"`), `time: expected an RFC 3339 date-time such as "2026-11-22T10:00:00Z", got "2026-11-22T10:00:00"`, ""},
	{"date only", top(`"time": "2026-11-22"`), `time: expected an RFC 3339 date-time such as "2026-11-22T10:00:00Z", got "2026-11-22"`, ""},
	{"comma before fraction", top(`"time": "2026-11-22T10:00:00,5Z"`), `time: expected an RFC 3339 date-time such as "2026-11-22T10:00:00Z", got "2026-11-22T10:00:00,5Z"`, ""},
	{"offset hour 24", top(`"time": "2026-11-22T10:00:00+24:00"`), `time: expected an RFC 3339 date-time such as "2026-11-22T10:00:00Z", got "2026-11-22T10:00:00+24:00"`, ""},
	{"offset minute 60", top(`"time": "2026-11-22T10:00:00+05:60"`), `time: expected an RFC 3339 date-time such as "2026-11-22T10:00:00Z", got "2026-11-22T10:00:00+05:60"`, ""},
	{"empty fraction", top(`"time": "2026-11-22T10:00:00.Z"`), `time: expected an RFC 3339 date-time such as "2026-11-22T10:00:00Z", got "2026-11-22T10:00:00.Z"`, ""},
	{"space for T", top(`"time": "2026-11-22 10:00:00Z"`), `time: expected an RFC 3339 date-time such as "2026-11-22T10:00:00Z", got "2026-11-22 10:00:00Z"`, ""},
	{"hour 24", top(`"time": "2026-11-22T24:00:00Z"`), `time: expected an RFC 3339 date-time such as "2026-11-22T10:00:00Z", got "2026-11-22T24:00:00Z"`, ""},
	{"impossible date", top(`"time": "2026-02-30T10:00:00Z"`), `time: expected an RFC 3339 date-time such as "2026-11-22T10:00:00Z", got "2026-02-30T10:00:00Z"`, ""},

	// Counts per category (data.subjects_by_category).
	{"per-category count of a category not in data.categories", data(`"categories": ["personal.identifier.government"], "subjects_by_category": {"personal.health": {"US": 900}}`),
		`data.subjects_by_category["personal.health"]: category "personal.health" is not one of data.categories; add it there, or remove its counts`, "a JSON Schema cannot compare keys of one member with the items of another"},
	{"per-category counts without categories", data(`"subjects_by_category": {"personal": {"US": 1}}`),
		`data.subjects_by_category.personal: category "personal" is not one of data.categories; add it there, or remove its counts`, "a JSON Schema cannot compare keys of one member with the items of another"},
	{"plain count below a category's count", data(`"categories": ["personal.health", "personal.identifier.government"], "subjects": {"US": 100000}, "subjects_by_category": {"personal.health": {"US": 900}, "personal.identifier.government": {"US": 150000}}`),
		`data.subjects.US: 100000 is fewer than the 150000 people of US counted in category "personal.identifier.government": the plain count is the number of distinct people in all categories`, "a JSON Schema cannot compare two counts"},
	{"per-category counts overflow", data(`"categories": ["personal.health", "personal.identifier.government"], "subjects_by_category": {"personal.health": {"US": 9223372036854775807}, "personal.identifier.government": {"US": 1}}`),
		`data.subjects_by_category["personal.identifier.government"].US: the counts of US add up beyond the largest count`, "a JSON Schema cannot add counts"},
	{"negative per-category count", data(`"categories": ["personal.health"], "subjects_by_category": {"personal.health": {"US": -1}}`),
		`data.subjects_by_category["personal.health"].US: must not be negative, got -1`, ""},
	{"unknown per-category category", data(`"categories": ["personal.health"], "subjects_by_category": {"health": {"US": 1}}`),
		`data.subjects_by_category.health: unknown category "health"`, ""},
	{"per-category count not an integer", data(`"categories": ["personal.health"], "subjects_by_category": {"personal.health": {"US": 1.5}}`),
		`data.subjects_by_category["personal.health"].US: expected integer, got number`, ""},
	{"per-category counts not an object", data(`"categories": ["personal.health"], "subjects_by_category": {"personal.health": 900}`),
		`data.subjects_by_category["personal.health"]: expected object, got number`, ""},
	{"notify counting subjects per category", `{"action":"notify","requester":{"kind":"company","role":"vendor","jurisdiction":"JP"},"data":{"location":"JP","categories":["technical.logs"],"subjects_by_category":{"technical.logs":{"FR":5}}}}`,
		`data.subjects_by_category["technical.logs"].FR: a notice (action "notify") carries no one's data; to send data about people or critical infrastructure, use disclose`, ""},
	{"duplicate per-category key", data(`"categories": ["personal.health"], "subjects_by_category": {"personal.health": {"US": 1, "US": 2}}`), `data.subjects_by_category["personal.health"].US: duplicate key`, blindDup},

	// Duplicate keys.
	{"duplicate key spelled with an escape", `{"action":"access","\u0061ction":"delete","requester":{"kind":"company","jurisdiction":"FR"},"data":{"location":"FR"}}`, `action: duplicate key`, blindDup},
	{"duplicate top-level key", `{"action":"access","action":"delete","requester":{"kind":"company","jurisdiction":"FR"},"data":{"location":"FR"}}`, `action: duplicate key`, blindDup},
	{"duplicate subjects key", data(`"subjects": {"FR": 1, "BE": 2, "FR": 3}`), `data.subjects.FR: duplicate key`, blindDup},
	{"duplicate requester key", requester(`"jurisdiction": "DE"`), `requester.jurisdiction: duplicate key`, blindDup},
	{"duplicate null member", top(`"on_behalf_of": null, "on_behalf_of": null`), `on_behalf_of: duplicate key`, blindDup},
}

func TestDecodeRequestRejects(t *testing.T) {
	for _, tc := range invalidRequests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := DecodeRequest([]byte(tc.in), testJurisdictions)
			if err == nil {
				t.Fatalf("DecodeRequest(%s) = %+v, want error %q", tc.in, req, tc.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is %T, want *InputError", err, err)
			}
			if req != nil {
				t.Errorf("DecodeRequest returned a request with the error")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("DecodeRequest(%s)\n got error %s\nwant error %s", tc.in, got, tc.want)
			}
		})
	}
}

// validRequests are small inputs at the edges of what is allowed.
var validRequests = []string{
	minimalRequest,
	`{"action":"notify","requester":{"kind":"company","role":"vendor","jurisdiction":"JP"},"data":{"location":"JP","categories":["technical"],"subjects":{"FR":0}}}`,
	"\n\t " + minimalRequest + " \r\n",
	top(`"on_behalf_of": null`),
	data(`"cii": null`),
	top(`"history": null`),
	top(`"basis": {"authorizations": null}`),
	top(`"basis": {"authorizations": [{"payloadType": "t", "payload": "p", "signatures": null}]}`),
	top(`"time": "0001-01-01T00:00:00Z"`),
	top(`"time": "2026-11-22T10:00:00.123456789-05:30"`),
	top(`"time": "2026-11-22t10:00:00z"`),
	top(`"time": "2026-11-22T10:00:00\u005A"`),
	top(`"time": "2026-11-22T10:00:00-00:00"`),
	`{"\u0061ction": "access", "requester": {"kind": "company", "jurisdiction": "FR", "id": "caf\u00e9 \ud83d\ude00"}, "data": {"location": "FR"}}`,
	requester(`"id": "Zoë Ōtsuka 王"`),
	data(`"categories": ["important.finance", "core.defence.x", "cii.energy"], "subjects": {}`),
	data(`"records": 9223372036854775807, "devices": 0`),
	requester(`"owners": {"CN": 0, "US": 100, "FR": 12.5}`),
	requester(`"id": "", "role": "anything at all"`),
	top(`"history": {"rolling_12m": {}, "year_to_date": {"CN": {}}}`),
	data(`"categories": ["personal.health", "personal.identifier.government"], "subjects": {"US": 150000}, "subjects_by_category": {"personal.health": {"US": 900}, "personal.identifier.government": {"US": 150000}}`),
	data(`"categories": ["personal.health", "personal.identifier.government"], "subjects": {"US": 150900}, "subjects_by_category": {"personal.health": {"US": 900}, "personal.identifier.government": {"US": 150000}}`),
	data(`"categories": ["personal.health"], "subjects_by_category": {"personal.health": {}}`),
}

func TestDecodeRequestAccepts(t *testing.T) {
	for _, in := range validRequests {
		req, err := DecodeRequest([]byte(in), testJurisdictions)
		if err != nil {
			t.Errorf("DecodeRequest(%s): %v", in, err)
			continue
		}
		assertRoundTrip(t, req)
	}
}

func TestDecodeRequestInvalidUTF8(t *testing.T) {
	// Like encoding/json, bytes that are not UTF-8 become U+FFFD, so what
	// is decoded encodes and decodes again unchanged.
	req, err := DecodeRequest([]byte(requester("\"id\": \"a\xffb\"")), testJurisdictions)
	if err != nil {
		t.Fatal(err)
	}
	if want := "a\uFFFDb"; req.Requester.ID != want {
		t.Errorf("id = %q, want %q", req.Requester.ID, want)
	}
	assertRoundTrip(t, req)
}

func TestDecodeRequestNilJurisdictions(t *testing.T) {
	// Without a registry, any two upper-case letters pass and nothing
	// else does.
	if _, err := DecodeRequest([]byte(data(`"origin": ["XX"]`)), nil); err != nil {
		t.Errorf("well-formed code with nil Jurisdictions: %v", err)
	}
	_, err := DecodeRequest([]byte(data(`"origin": ["xx"]`)), nil)
	if want := `data.origin[0]: unknown jurisdiction "xx"`; err == nil || err.Error() != want {
		t.Errorf("malformed code with nil Jurisdictions: got %v, want %s", err, want)
	}
}

func TestInputErrorString(t *testing.T) {
	for _, tc := range []struct {
		err  InputError
		want string
	}{
		{InputError{Path: "data.subjects.XX", Msg: `unknown jurisdiction "XX"`}, `data.subjects.XX: unknown jurisdiction "XX"`},
		{InputError{Line: 3, Column: 7, Msg: "invalid character"}, "line 3, column 7: invalid character"},
		{InputError{Path: "data", Line: 3, Column: 7, Msg: "invalid character"}, "data: line 3, column 7: invalid character"},
		{InputError{Msg: "empty input"}, "empty input"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestQuoteShort(t *testing.T) {
	long := strings.Repeat("é", 40) // 80 bytes
	got := quoteShort(long)
	if want := `"` + strings.Repeat("é", 32) + `"…`; got != want {
		t.Errorf("quoteShort = %s, want %s", got, want)
	}
	if got := quoteShort(`a"b`); got != `"a\"b"` {
		t.Errorf("quoteShort(a\"b) = %s", got)
	}
}

// exampleFiles returns the JSON files under docs/examples/<kind>.
func exampleFiles(t testing.TB, kind string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "docs", "examples", kind, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("want at least 3 examples in docs/examples/%s, found %d", kind, len(files))
	}
	return files
}

func TestDecodeExampleRequests(t *testing.T) {
	for _, f := range exampleFiles(t, "requests") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		req, err := DecodeRequest(b, testJurisdictions)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		assertRoundTrip(t, req)
	}
}

func TestDecodeExampleDecisions(t *testing.T) {
	for _, f := range exampleFiles(t, "decisions") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := DecodeDecision(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		out, err := json.Marshal(dec)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeDecision(out)
		if err != nil {
			t.Errorf("%s: decoding re-encoded decision: %v\n%s", f, err, out)
			continue
		}
		if !again.Time.Equal(dec.Time) {
			t.Errorf("%s: time changed in a round trip", f)
		}
		again.Time = dec.Time
		if !reflect.DeepEqual(again, dec) {
			t.Errorf("%s: round trip changed the decision:\n got %+v\nwant %+v", f, again, dec)
		}
	}
}

// assertRoundTrip checks that req encodes with encoding/json and decodes
// strictly to an equal request.
func assertRoundTrip(t testing.TB, req *Request) {
	t.Helper()
	out, err := json.Marshal(req)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	again, err := DecodeRequest(out, testJurisdictions)
	if err != nil {
		t.Fatalf("decoding re-encoded request: %v\n%s", err, out)
	}
	if !requestsEqual(again, req) {
		t.Fatalf("round trip changed the request:\n got %+v\nwant %+v\njson %s", again, req, out)
	}
}

// okDecision holds the required members of a decision.
const okDecision = `"outcome":"allow","reasons":[],"binding":false,"time":"2026-11-22T10:00:00Z"`

// invalidDecisions are bad decisions and the exact errors they produce.
var invalidDecisions = []invalidCase{
	{"unknown field", `{` + okDecision + `,"verdict":"yes"}`, `verdict: unknown field`, ""},
	{"missing outcome", `{"reasons":[],"binding":false,"time":"2026-11-22T10:00:00Z"}`, `outcome: missing required field`, ""},
	{"missing reasons", `{"outcome":"allow","binding":false,"time":"2026-11-22T10:00:00Z"}`, `reasons: missing required field`, ""},
	{"missing binding", `{"outcome":"allow","reasons":null,"time":"2026-11-22T10:00:00Z"}`, `binding: missing required field`, ""},
	{"missing time", `{"outcome":"allow","reasons":[],"binding":false}`, `time: missing required field`, ""},
	{"unknown outcome", `{"outcome":"maybe","reasons":[],"binding":false,"time":"2026-11-22T10:00:00Z"}`, `outcome: unknown value "maybe" (one of allow, deny, pending)`, ""},
	{"negative log index", `{` + okDecision + `,"log_index":-1}`, `log_index: must not be negative, got -1`, ""},
	{"fractional log index", `{` + okDecision + `,"log_index":1.5}`, `log_index: expected integer, got number`, ""},
	{"log index out of range", `{` + okDecision + `,"log_index":18446744073709551616}`, `log_index: integer 18446744073709551616 out of range`, ""},
	{"duplicate key", `{` + okDecision + `,"binding":true}`, `binding: duplicate key`, blindDup},
	{"unknown effect", `{"outcome":"deny","reasons":[{"rule":"r","pack":"p","effect":"forbid","message":"m","citation":"c"}],"binding":false,"time":"2026-11-22T10:00:00Z"}`,
		`reasons[0].effect: unknown value "forbid" (one of deny, require, obligate)`, ""},
	{"reason without citation", `{"outcome":"deny","reasons":[{"rule":"r","pack":"p","effect":"deny","message":"m"}],"binding":false,"time":"2026-11-22T10:00:00Z"}`,
		`reasons[0].citation: missing required field`, ""},
	{"requirement without rule", `{` + okDecision + `,"requires":[{"authorization_from":"FR","pack":"gdsi"}]}`, `requires[0].rule: missing required field`, ""},
	{"malformed authorization_from", `{` + okDecision + `,"requires":[{"authorization_from":"France","rule":"r","pack":"gdsi"}]}`, `requires[0].authorization_from: unknown jurisdiction "France"`, ""},
	{"pack rules as string", `{` + okDecision + `,"packs":[{"pack":"gdsi","version":"1","outcome":"allow","rules":"x"}]}`, `packs[0].rules: expected array, got string`, ""},
	{"pack outcome unknown", `{` + okDecision + `,"packs":[{"pack":"gdsi","version":"1","outcome":"ok"}]}`, `packs[0].outcome: unknown value "ok" (one of allow, deny, pending)`, ""},
	{"trace fired as string", `{` + okDecision + `,"explain":[{"rule":"r","pack":"p","fired":"no","result":"false"}]}`, `explain[0].fired: expected boolean, got string`, ""},
	{"obligation without message", `{` + okDecision + `,"obligations":[{"rule":"r","pack":"p","citation":"c"}]}`, `obligations[0].message: missing required field`, ""},
	{"bad time", `{"outcome":"allow","reasons":[],"binding":false,"time":"now"}`, `time: expected an RFC 3339 date-time such as "2026-11-22T10:00:00Z", got "now"`, ""},
	{"trailing data", `{` + okDecision + `} []`, `line 1, column 80: unexpected data after the top-level object`, blindTrailing},
}

func TestDecodeDecisionRejects(t *testing.T) {
	for _, tc := range invalidDecisions {
		_, err := DecodeDecision([]byte(tc.in))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: DecodeDecision(%s)\n got error %v\nwant error %s", tc.name, tc.in, err, tc.want)
		}
	}
}

// BenchmarkDecodeRequest decodes the DESIGN.md request.
func BenchmarkDecodeRequest(b *testing.B) {
	in := []byte(designRequest)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := DecodeRequest(in, testJurisdictions); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalRequest is the baseline: plain json.Unmarshal of the
// same request, with no checks at all.
func BenchmarkUnmarshalRequest(b *testing.B) {
	in := []byte(designRequest)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		var r Request
		if err := json.Unmarshal(in, &r); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDecodeRequest checks that no input makes DecodeRequest panic, that
// every error is an *InputError, and that whatever it accepts survives a
// round trip through encoding/json unchanged.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(designRequest))
	f.Add([]byte(minimalRequest))
	for _, tc := range invalidRequests {
		f.Add([]byte(tc.in))
	}
	for _, in := range validRequests {
		f.Add([]byte(in))
	}
	if files, err := filepath.Glob(filepath.Join("..", "..", "docs", "examples", "requests", "*.json")); err == nil {
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		req, err := DecodeRequest(in, testJurisdictions)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is %T, want *InputError", err, err)
			}
			if req != nil {
				t.Fatalf("DecodeRequest returned a request with an error")
			}
			assertText(t, err)
			return
		}
		assertRoundTrip(t, req)
		// Per-category counts: every category is one of the request's,
		// and no plain count is below a category's count.
		for cat, m := range req.Data.SubjectsByCategory {
			if !slices.Contains(req.Data.Categories, cat) {
				t.Fatalf("accepted counts of category %q outside data.categories", cat)
			}
			for s, n := range m {
				if total, ok := req.Data.Subjects[s]; !ok || total < n {
					t.Fatalf("accepted %d people of %s in %q with a plain count of %d (given: %v)", n, s, cat, total, ok)
				}
			}
		}
	})
}

// FuzzDecodeDecision checks DecodeDecision as FuzzDecodeRequest checks
// DecodeRequest.
func FuzzDecodeDecision(f *testing.F) {
	for _, tc := range invalidDecisions {
		f.Add([]byte(tc.in))
	}
	if files, err := filepath.Glob(filepath.Join("..", "..", "docs", "examples", "decisions", "*.json")); err == nil {
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		dec, err := DecodeDecision(in)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is %T, want *InputError", err, err)
			}
			assertText(t, err)
			return
		}
		out, err := json.Marshal(dec)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		again, err := DecodeDecision(out)
		if err != nil {
			t.Fatalf("decoding re-encoded decision: %v\n%s", err, out)
		}
		if !again.Time.Equal(dec.Time) {
			t.Fatalf("time changed in a round trip")
		}
		again.Time = dec.Time
		if !reflect.DeepEqual(again, dec) {
			t.Fatalf("round trip changed the decision:\n got %+v\nwant %+v", again, dec)
		}
	})
}
