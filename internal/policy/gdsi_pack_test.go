package policy_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
)

// gdsiMinCases is the least number of cases gdsi_test.yaml must keep
// (issue 2: at least 40).
const gdsiMinCases = 40

// TestGDSIPackCases runs packs/gdsi_test.yaml through the engine's test
// runner (the one `accord packs test` uses) against the bundled gdsi pack
// and the embedded registry: each case must give the pack's expected
// outcome and exactly the expected rule ids.
func TestGDSIPackCases(t *testing.T) {
	eng := compileGDSI(t)
	results, err := policy.RunTests(eng, policy.Embedded(), "packs/gdsi_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < gdsiMinCases {
		t.Errorf("gdsi_test.yaml has %d cases; want at least %d", len(results), gdsiMinCases)
	}
	names := map[string]bool{}
	for _, r := range results {
		if names[r.Name] {
			t.Errorf("line %d: case name %q is used twice", r.Line, r.Name)
		}
		names[r.Name] = true
		if r.Pack != "gdsi" {
			t.Errorf("line %d: case ran pack %q, want gdsi", r.Line, r.Pack)
		}
		t.Run(r.Name, func(t *testing.T) {
			if !r.Passed {
				t.Errorf("gdsi_test.yaml:%d: %s (got %s %v, want %s %v)",
					r.Line, r.Failure, r.GotOutcome, r.GotRules, r.WantOutcome, r.WantRules)
			}
		})
	}
}

// ruleCommitmentRe and caseCommitmentRe read the commitment number from a
// rule id and from a case name.
var (
	ruleCommitmentRe = regexp.MustCompile(`^gdsi-([1-8])-`)
	caseCommitmentRe = regexp.MustCompile(`^commitment ([1-8]) `)
)

// TestGDSICasesCoverEveryRule checks the shape of gdsi_test.yaml against
// the pack: every case names its commitment, lists only rules of the pack,
// and every rule both fires in some case and is absent from some case of
// its own commitment.
func TestGDSICasesCoverEveryRule(t *testing.T) {
	eng := compileGDSI(t)
	pk, ok := eng.Pack("gdsi")
	if !ok {
		t.Fatal("gdsi pack not compiled")
	}
	tf := readGDSICases(t)
	ruleIDs := map[string]bool{}
	for _, r := range pk.Rules {
		ruleIDs[r.ID] = true
		if !ruleCommitmentRe.MatchString(r.ID) {
			t.Errorf("rule %s: id does not start with gdsi-<commitment>-", r.ID)
		}
		if !strings.Contains(r.Citation, "letter of 18 September 2020 to the UN Secretary-General, annex, paragraph") {
			t.Errorf("rule %s: citation %q does not cite the letter of 18 September 2020, annex, and a paragraph", r.ID, r.Citation)
		}
		if strings.Contains(r.Citation, ".txt") {
			t.Errorf("rule %s: citation %q names a file; cite the document by title, date and paragraph", r.ID, r.Citation)
		}
	}
	fires := map[string]int{}
	silentInOwn := map[string]int{}
	for _, c := range tf.Cases {
		m := caseCommitmentRe.FindStringSubmatch(c.Name)
		if m == nil {
			t.Errorf("case %q: name does not start with \"commitment N \"", c.Name)
			continue
		}
		for _, id := range c.Rules {
			if !ruleIDs[id] {
				t.Errorf("case %q: rule %s is not in the gdsi pack", c.Name, id)
			}
			fires[id]++
		}
		for id := range ruleIDs {
			rm := ruleCommitmentRe.FindStringSubmatch(id)
			if rm != nil && rm[1] == m[1] && !slices.Contains(c.Rules, id) {
				silentInOwn[id]++
			}
		}
	}
	for id := range ruleIDs {
		if fires[id] == 0 {
			t.Errorf("rule %s fires in no case", id)
		}
		if silentInOwn[id] == 0 {
			t.Errorf("rule %s has no near miss: every case of its commitment fires it", id)
		}
	}
}

// TestGDSIRequirements checks what pending decisions ask for and what the
// messages name, which the case file (outcome and rule ids only) does not.
// TestApprovalMeasures: the gdsi pack marks the customer's approval as the
// holder's (approval: holder), on the two rules that require it and on no
// other; decide treats that measure as server-owned.
func TestApprovalMeasures(t *testing.T) {
	got := compileGDSI(t).ApprovalMeasures()
	want := map[string][]string{"customer-approval": {"gdsi-7-vendor-maintenance", "gdsi-8-user-dependence"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ApprovalMeasures() = %v, want %v", got, want)
	}
}

func TestGDSIRequirements(t *testing.T) {
	eng := compileGDSI(t)
	reg := gdsiRegistry(t)
	tests := []struct {
		name       string
		file       string // an example request, or
		request    string // a request in JSON
		authorized []string
		want       []model.Requirement
		message    map[string]string // rule id -> substring of its message
	}{
		{
			name: "commitment 2 — a transfer of CII data waits for its owner",
			request: `{"action":"transfer","requester":{"id":"grid-ops-de","kind":"company","jurisdiction":"DE"},
				"data":{"location":"DE","categories":["cii.energy"],"cii":{"state":"FR","sector":"energy"}},"destination":"US",
				"time":"2026-11-22T10:00:00Z"}`,
			want:    []model.Requirement{{AuthorizationFrom: "FR", Rule: "gdsi-2-cii-authorization"}},
			message: map[string]string{"gdsi-2-cii-authorization": "Critical-infrastructure data of FR"},
		},
		{
			name:    "commitment 2 — a denied alteration names the owner and requires nothing",
			file:    "2-cii-foreign-modify.json",
			message: map[string]string{"gdsi-2-cii-alteration": "critical-infrastructure data of FR"},
		},
		{
			name: "commitment 5 — the location must authorize",
			file: "5-state-access-abroad.json",
			// Issue 19: reading a foreign person's data with no basis is
			// collection by that state (commitment 3) whatever the verb.
			want: []model.Requirement{
				{AuthorizationFrom: "US", Rule: "gdsi-3-unauthorized-collection"},
				{AuthorizationFrom: "US", Rule: "gdsi-5-location-authorization"},
			},
			message: map[string]string{"gdsi-5-location-authorization": "Data located in US"},
		},
		{
			name: "commitment 6 — without a channel: the location and an MLA basis",
			file: "6-law-enforcement-no-channel.json",
			want: []model.Requirement{
				{AuthorizationFrom: "FR", Rule: "gdsi-3-unauthorized-collection"},
				{AuthorizationFrom: "FR", Rule: "gdsi-5-location-authorization"},
				{Basis: "mla", Rule: "gdsi-6-judicial-channel"},
			},
		},
		{
			name: "commitment 6 — with an MLA basis: only the requested state's execution",
			file: "6-law-enforcement-mla.json",
			want: []model.Requirement{{AuthorizationFrom: "FR", Rule: "gdsi-5-location-authorization"}},
		},
		{
			name: "commitment 7 — the customer's approval",
			file: "7-vendor-maintenance.json",
			want: []model.Requirement{{Measure: "customer-approval", Rule: "gdsi-7-vendor-maintenance"}},
		},
		{
			name: "commitment 3 — cumulative bulk: the people's state",
			request: `{"action":"access","requester":{"id":"nsa","kind":"state-authority","jurisdiction":"US"},
				"data":{"location":"US","categories":["personal.contact"],"subjects":{"DE":1,"BR":2,"US":3}},
				"selectors":{"kind":"specific","count":1},"time":"2026-11-22T10:00:00Z",
				"history":{"rolling_12m":{"DE":{"personal":{"subjects":999}},"US":{"personal":{"subjects":99999}}}}}`,
			want: []model.Requirement{
				{AuthorizationFrom: "DE", Rule: "gdsi-3-cumulative-bulk"},
				{AuthorizationFrom: "BR", Rule: "gdsi-3-unauthorized-collection"},
				{AuthorizationFrom: "DE", Rule: "gdsi-3-unauthorized-collection"},
			},
			message: map[string]string{"gdsi-3-cumulative-bulk": "1000 or more people of DE"},
		},
		{
			name: "commitment 3 — cumulative bulk over two peoples: both named, the authorized one dropped",
			request: `{"action":"access","requester":{"id":"nsa","kind":"state-authority","jurisdiction":"US"},
				"data":{"location":"US","categories":["personal.contact"],"subjects":{"DE":1000,"BR":1000,"FR":2000}},
				"selectors":{"kind":"specific","count":1},"time":"2026-11-22T10:00:00Z"}`,
			authorized: []string{"DE"},
			want: []model.Requirement{
				{AuthorizationFrom: "BR", Rule: "gdsi-3-cumulative-bulk"},
				{AuthorizationFrom: "FR", Rule: "gdsi-3-cumulative-bulk"},
				{AuthorizationFrom: "BR", Rule: "gdsi-3-unauthorized-collection"},
				{AuthorizationFrom: "FR", Rule: "gdsi-3-unauthorized-collection"},
			},
		},
		{
			name: "commitment 6 — every third state is named; the first is required",
			request: `{"action":"access","requester":{"id":"fbi","kind":"state-authority","jurisdiction":"US"},
				"data":{"location":"GB","categories":["personal.contact"],
				        "subjects":{"GB":1,"FR":1,"DE":1,"BR":1,"IN":1,"JP":1,"NG":1,"US":1}},
				"purpose":"law-enforcement","basis":{"kind":"agreement","agreement":"gb-us-cloud-act-2019"},
				"time":"2026-11-22T10:00:00Z"}`,
			authorized: []string{"FR"},
			want: []model.Requirement{
				{AuthorizationFrom: "BR", Rule: "gdsi-6-third-state"},
				{AuthorizationFrom: "DE", Rule: "gdsi-6-third-state"},
				{AuthorizationFrom: "IN", Rule: "gdsi-6-third-state"},
				{AuthorizationFrom: "JP", Rule: "gdsi-6-third-state"},
				{AuthorizationFrom: "NG", Rule: "gdsi-6-third-state"},
			},
			message: map[string]string{
				"gdsi-6-third-state": "authorization needed from BR, DE, FR, IN, JP and 1 more.",
			},
		},
		{
			name: "commitment 6 — a third-state location is required first",
			request: `{"action":"access","requester":{"id":"fbi","kind":"state-authority","jurisdiction":"US"},
				"data":{"location":"DE","categories":["personal.contact"],"subjects":{"BR":1,"DE":1}},
				"purpose":"law-enforcement","basis":{"kind":"agreement","agreement":"gb-us-cloud-act-2019"},
				"time":"2026-11-22T10:00:00Z"}`,
			want: []model.Requirement{
				{AuthorizationFrom: "DE", Rule: "gdsi-5-location-authorization"},
				{Basis: "mla", Rule: "gdsi-6-judicial-channel"},
				{AuthorizationFrom: "DE", Rule: "gdsi-6-third-state"},
				{AuthorizationFrom: "BR", Rule: "gdsi-6-third-state"},
			},
			message: map[string]string{"gdsi-6-third-state": "authorization needed from DE, BR."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte(tt.request)
			if tt.file != "" {
				var err error
				raw, err = os.ReadFile(path.Join(gdsiExamplesDir, tt.file))
				if err != nil {
					t.Fatal(err)
				}
			}
			req, err := model.DecodeRequest(raw, reg)
			if err != nil {
				t.Fatal(err)
			}
			dec := eng.Evaluate(&policy.Input{Request: req, Authorized: tt.authorized}, policy.Options{Packs: []string{"gdsi"}})
			var got []model.Requirement
			for _, r := range dec.Requires {
				if r.Pack != "gdsi" {
					t.Errorf("requirement %+v: pack %q", r, r.Pack)
				}
				r.Pack = ""
				got = append(got, r)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("requires %+v\nwant     %+v", got, tt.want)
			}
			for id, sub := range tt.message {
				found := false
				for _, r := range dec.Reasons {
					if r.Rule == id {
						found = true
						if !strings.Contains(r.Message, sub) {
							t.Errorf("%s: message %q does not contain %q", id, r.Message, sub)
						}
					}
				}
				if !found {
					t.Errorf("%s did not fire; reasons %+v", id, dec.Reasons)
				}
			}
		})
	}
}

// gdsiExamplesDir holds the example requests, relative to this package.
const gdsiExamplesDir = "../../examples/requests"

// gdsiExampleRow is one row of the table in examples/requests/README.md.
type gdsiExampleRow struct {
	file, commitment string
	outcome          model.Outcome
	rules            []string
}

// readGDSIExampleTable parses the table of examples/requests/README.md: rows
// "| `file` | commitment | outcome | rule ids |", rule ids comma-separated
// or "—" for none.
func readGDSIExampleTable(t *testing.T) []gdsiExampleRow {
	t.Helper()
	data, err := os.ReadFile(path.Join(gdsiExamplesDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []gdsiExampleRow
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(text, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(text, "|"), "|")
		if len(cells) != 4 {
			t.Fatalf("README.md:%d: want 4 cells, got %d", line, len(cells))
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		row := gdsiExampleRow{file: strings.Trim(cells[0], "`"), commitment: cells[1], outcome: model.Outcome(cells[2])}
		if !slices.Contains(model.Outcomes, row.outcome) {
			t.Fatalf("README.md:%d: outcome %q", line, cells[2])
		}
		if cells[3] != "—" {
			for _, id := range strings.Split(cells[3], ",") {
				row.rules = append(row.rules, strings.TrimSpace(id))
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestGDSIExamples checks that every example request is a valid strict
// request, has a row in examples/requests/README.md, and yields under the
// gdsi pack the outcome and rules that row promises; and that every
// commitment 1–8 has an example.
func TestGDSIExamples(t *testing.T) {
	eng := compileGDSI(t)
	reg := gdsiRegistry(t)
	rows := readGDSIExampleTable(t)
	files, err := fs.Glob(os.DirFS(gdsiExamplesDir), "*.json")
	if err != nil {
		t.Fatal(err)
	}
	inTable := map[string]bool{}
	commitments := map[string]bool{}
	for _, row := range rows {
		inTable[row.file] = true
		commitments[row.commitment] = true
		if !slices.Contains(files, row.file) {
			t.Errorf("README.md lists %s, which does not exist", row.file)
		}
		if !strings.HasPrefix(row.file, row.commitment+"-") {
			t.Errorf("%s: file name does not start with its commitment %s", row.file, row.commitment)
		}
	}
	for _, f := range files {
		if !inTable[f] {
			t.Errorf("%s has no row in README.md", f)
		}
	}
	for c := 1; c <= 8; c++ {
		if !commitments[fmt.Sprint(c)] {
			t.Errorf("no example for commitment %d", c)
		}
	}
	for _, row := range rows {
		t.Run(row.file, func(t *testing.T) {
			raw, err := os.ReadFile(path.Join(gdsiExamplesDir, row.file))
			if err != nil {
				t.Fatal(err)
			}
			req, err := model.DecodeRequest(raw, reg)
			if err != nil {
				t.Fatalf("not a valid request: %v", err)
			}
			dec := eng.Evaluate(&policy.Input{Request: req}, policy.Options{Packs: []string{"gdsi"}})
			got := packRulesFired(dec, "gdsi")
			want := slices.Sorted(slices.Values(row.rules))
			if dec.Outcome != row.outcome || !slices.Equal(got, want) {
				t.Errorf("outcome %s, rules %v; README.md says %s, %v", dec.Outcome, got, row.outcome, want)
			}
		})
	}
}

// readGDSICases parses packs/gdsi_test.yaml with the engine's parser.
func readGDSICases(t *testing.T) *policy.TestFile {
	t.Helper()
	data, err := fs.ReadFile(policy.Embedded(), "packs/gdsi_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tf, err := policy.ParseTestFile("gdsi_test.yaml", data, gdsiRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	if tf.Pack != "gdsi" {
		t.Fatalf("gdsi_test.yaml: pack is %q, want gdsi", tf.Pack)
	}
	return tf
}

// BenchmarkGDSIExamples decides the example requests in turn under the
// gdsi pack alone: one op is one decision.
func BenchmarkGDSIExamples(b *testing.B) {
	eng := compileGDSI(b)
	reg := gdsiRegistry(b)
	files, err := fs.Glob(os.DirFS(gdsiExamplesDir), "*.json")
	if err != nil || len(files) == 0 {
		b.Fatalf("no examples: %v", err)
	}
	inputs := make([]*policy.Input, 0, len(files))
	for _, f := range files {
		raw, err := os.ReadFile(path.Join(gdsiExamplesDir, f))
		if err != nil {
			b.Fatal(err)
		}
		req, err := model.DecodeRequest(raw, reg)
		if err != nil {
			b.Fatalf("%s: %v", f, err)
		}
		inputs = append(inputs, &policy.Input{Request: req})
	}
	opts := policy.Options{Packs: []string{"gdsi"}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		eng.Evaluate(inputs[i%len(inputs)], opts)
		i++
	}
}

// TestGDSIAppliesFromInitiativeDate checks the pack's `applies`: chosen
// automatically for requests from 8 September 2020, when the Initiative was
// announced, and not for requests dated earlier.
func TestGDSIAppliesFromInitiativeDate(t *testing.T) {
	eng := compileGDSI(t)
	reg := gdsiRegistry(t)
	for _, tt := range []struct {
		time    string
		applies bool
	}{
		{"2020-09-07T23:59:59Z", false},
		{"2020-09-08T00:00:00Z", true},
		{"2026-11-22T10:00:00Z", true},
	} {
		raw := []byte(`{"action":"access","requester":{"id":"nsa","kind":"state-authority","jurisdiction":"US"},
			"data":{"location":"US","categories":["personal.contact"],"subjects":{"DE":5}},
			"selectors":{"kind":"bulk"},"time":"` + tt.time + `"}`)
		req, err := model.DecodeRequest(raw, reg)
		if err != nil {
			t.Fatal(err)
		}
		dec := eng.Evaluate(&policy.Input{Request: req}, policy.Options{})
		applied := slices.ContainsFunc(dec.Packs, func(p model.PackOutcome) bool { return p.Pack == "gdsi" })
		if applied != tt.applies {
			t.Errorf("time %s: gdsi applied = %v, want %v (decision %+v)", tt.time, applied, tt.applies, dec)
		}
		if want := map[bool]model.Outcome{true: model.Deny, false: model.Allow}[tt.applies]; dec.Outcome != want {
			t.Errorf("time %s: outcome %s, want %s", tt.time, dec.Outcome, want)
		}
	}
}
