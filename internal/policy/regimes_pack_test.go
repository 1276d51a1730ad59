package policy_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
	"github.com/accord-dev/accord/internal/registry"
)

// regimePacks are the regime packs whose test files this file runs, with
// the least number of cases each must keep (issue 5: at least 40).
var regimePacks = map[string]int{
	"us-dsp":  40,
	"cn-cbdf": 40,
	"eu-gdpr": 40,
}

// TestRegimePacks runs every case of the us-dsp, cn-cbdf and eu-gdpr test
// files through the engine's test runner (what `accord packs test` does),
// against the bundled packs and the embedded registry: each pack's own
// outcome and exactly the rule ids that fired. It also checks that no case
// gets its outcome from a rule that failed to evaluate.
func TestRegimePacks(t *testing.T) {
	reg, err := registry.Load()
	if err != nil {
		t.Fatalf("load registry: %v", err)
	}
	packsFS, err := fs.Sub(policy.Embedded(), "packs")
	if err != nil {
		t.Fatal(err)
	}
	for name, least := range regimePacks {
		t.Run(name, func(t *testing.T) {
			packs, err := policy.Load(packsFS, name+".yaml")
			if err != nil {
				t.Fatalf("load pack: %v", err)
			}
			eng, err := policy.Compile(packs, reg)
			if err != nil {
				t.Fatalf("compile pack: %v", err)
			}
			data, err := fs.ReadFile(packsFS, name+"_test.yaml")
			if err != nil {
				t.Fatal(err)
			}
			tf, err := policy.ParseTestFile(name+"_test.yaml", data, reg)
			if err != nil {
				t.Fatal(err)
			}
			if tf.Pack != name {
				t.Fatalf("%s_test.yaml: pack is %q", name, tf.Pack)
			}
			if len(tf.Cases) < least {
				t.Errorf("%s_test.yaml has %d cases; want at least %d", name, len(tf.Cases), least)
			}
			results, err := eng.RunTestFile(tf)
			if err != nil {
				t.Fatal(err)
			}
			if len(results) != len(tf.Cases) {
				t.Fatalf("%d results for %d cases", len(results), len(tf.Cases))
			}
			for i, res := range results {
				tc := tf.Cases[i]
				t.Run(res.Name, func(t *testing.T) {
					if !res.Passed {
						t.Errorf("%s:%d: %s", res.File, res.Line, res.Failure)
					}
					// A rule that errs fails closed and says so in its
					// message; no case may get its outcome that way.
					dec := eng.Evaluate(&policy.Input{Request: tc.Request, History: tc.History, Authorized: tc.Authorized},
						policy.Options{Packs: []string{name}})
					for _, r := range dec.Reasons {
						if strings.Contains(r.Message, "could not be") {
							t.Errorf("rule %s: %s", r.Rule, r.Message)
						}
					}
				})
			}
		})
	}
}

// packWant is what one regime pack should say about an example request;
// a nil *packWant means the pack must not apply.
type packWant struct {
	outcome model.Outcome
	rules   []string
}

// TestRegimeExamples evaluates the requests in examples/regimes with every
// bundled pack and automatic selection (`accord check --packs auto`), and
// checks which regime packs applied and what each decided.
func TestRegimeExamples(t *testing.T) {
	reg, err := registry.Load()
	if err != nil {
		t.Fatalf("load registry: %v", err)
	}
	packsFS, err := fs.Sub(policy.Embedded(), "packs")
	if err != nil {
		t.Fatal(err)
	}
	packs, err := policy.Load(packsFS)
	if err != nil {
		t.Fatalf("load packs: %v", err)
	}
	eng, err := policy.Compile(packs, reg)
	if err != nil {
		t.Fatalf("compile packs: %v", err)
	}
	dd := []string{"us-dsp-202-401-restricted-transaction", "us-dsp-202-1001-due-diligence", "us-dsp-202-1002-audit", "us-dsp-202-1101-recordkeeping"}
	tests := []struct {
		file string
		want map[string]*packWant
	}{
		{"cross-us-cn-eu.json", map[string]*packWant{
			"us-dsp":  {model.Pending, dd},
			"cn-cbdf": {model.Pending, []string{"cn-cbdf-volume-security-assessment"}},
			"eu-gdpr": {model.Pending, []string{"eu-gdpr-44-transfer-tool"}},
		}},
		{"cross-us-cn-eu-with-measures.json", map[string]*packWant{
			"us-dsp":  {model.Allow, dd},
			"cn-cbdf": {model.Allow, []string{"cn-cbdf-volume-security-assessment"}},
			"eu-gdpr": {model.Allow, []string{"eu-gdpr-44-transfer-tool", "eu-gdpr-46-transfer-impact-assessment"}},
		}},
		{"us-dsp-brokerage-cn.json", map[string]*packWant{
			"us-dsp": {model.Deny, []string{"us-dsp-202-301-brokerage-country-of-concern"}},
		}},
		{"us-dsp-split-sale-history.json", map[string]*packWant{
			"us-dsp": {model.Deny, []string{"us-dsp-202-301-brokerage-country-of-concern"}},
		}},
		{"cn-cbdf-standard-contract.json", map[string]*packWant{
			"cn-cbdf": {model.Pending, []string{"cn-cbdf-standard-contract-or-certification"}},
		}},
		{"eu-gdpr-dpf.json", map[string]*packWant{
			"eu-gdpr": {model.Allow, []string{"eu-gdpr-45-framework-certified"}},
		}},
		{"eu-gdpr-art48-mlat.json", map[string]*packWant{
			"eu-gdpr": {model.Allow, []string{"eu-gdpr-48-foreign-order"}},
		}},
		{"us-dsp-parties-own-sale.json", map[string]*packWant{
			"us-dsp": {model.Deny, []string{"us-dsp-202-301-brokerage-country-of-concern"}},
		}},
		{"cn-cbdf-foreign-recipient-ciio.json", map[string]*packWant{
			"cn-cbdf": {model.Pending, []string{"cn-cbdf-ciio-security-assessment"}},
		}},
		{"eu-gdpr-scc-module.json", map[string]*packWant{
			"eu-gdpr": {model.Pending, []string{"eu-gdpr-44-transfer-tool"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "..", "examples", "regimes", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			req, err := model.DecodeRequest(data, reg)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			dec := eng.Evaluate(&policy.Input{Request: req}, policy.Options{})
			got := map[string]model.PackOutcome{}
			for _, po := range dec.Packs {
				got[po.Pack] = po
			}
			for name := range regimePacks {
				w := tc.want[name]
				po, applied := got[name]
				switch {
				case w == nil && applied:
					t.Errorf("%s applied (%s %v); want it not to apply", name, po.Outcome, po.Rules)
				case w != nil && !applied:
					t.Errorf("%s did not apply; want %s %v", name, w.outcome, w.rules)
				case w != nil:
					rules := slices.Sorted(slices.Values(po.Rules))
					if po.Outcome != w.outcome || !slices.Equal(rules, slices.Sorted(slices.Values(w.rules))) {
						t.Errorf("%s: %s %v; want %s %v", name, po.Outcome, rules, w.outcome, w.rules)
					}
				}
			}
			for _, r := range dec.Reasons {
				if _, mine := regimePacks[r.Pack]; mine && r.Citation == "" {
					t.Errorf("rule %s has no citation", r.Rule)
				}
			}
		})
	}
}

// BenchmarkRegimeCheck decides the requests of examples/regimes with all
// bundled packs loaded (gdsi, us-dsp, cn-cbdf, eu-gdpr): "auto" selects
// packs by their `applies` expressions, as `accord check --packs auto`
// does; the other sub-benchmarks evaluate one pack on every request.
func BenchmarkRegimeCheck(b *testing.B) {
	reg, err := registry.Load()
	if err != nil {
		b.Fatal(err)
	}
	packsFS, err := fs.Sub(policy.Embedded(), "packs")
	if err != nil {
		b.Fatal(err)
	}
	packs, err := policy.Load(packsFS)
	if err != nil {
		b.Fatal(err)
	}
	eng, err := policy.Compile(packs, reg)
	if err != nil {
		b.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "regimes", "*.json"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no example requests: %v", err)
	}
	var inputs []*policy.Input
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		req, err := model.DecodeRequest(data, reg)
		if err != nil {
			b.Fatalf("%s: %v", f, err)
		}
		inputs = append(inputs, &policy.Input{Request: req})
	}
	for _, sel := range []string{"auto", "gdsi", "us-dsp", "cn-cbdf", "eu-gdpr"} {
		opts := policy.Options{}
		if sel != "auto" {
			opts.Packs = []string{sel}
		}
		b.Run(sel, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				eng.Evaluate(inputs[i%len(inputs)], opts)
			}
		})
	}
}

// TestRegimeApplies checks each regime pack's `applies` expression: with
// automatic selection a pack is evaluated only for requests its law governs.
func TestRegimeApplies(t *testing.T) {
	reg, err := registry.Load()
	if err != nil {
		t.Fatalf("load registry: %v", err)
	}
	packsFS, err := fs.Sub(policy.Embedded(), "packs")
	if err != nil {
		t.Fatal(err)
	}
	packs, err := policy.Load(packsFS, "us-dsp.yaml", "cn-cbdf.yaml", "eu-gdpr.yaml")
	if err != nil {
		t.Fatalf("load packs: %v", err)
	}
	eng, err := policy.Compile(packs, reg)
	if err != nil {
		t.Fatalf("compile packs: %v", err)
	}
	const tmpl = `{"action":"transfer","requester":{"id":"r","kind":"company","jurisdiction":%q},
	  "data":{"location":%q,"origin":[%q],"categories":[%q],"subjects":{%q:10}},
	  "destination":%q,"time":%q}`
	tests := []struct {
		name                                               string
		requester, location, origin, cat, subj, dest, time string
		want                                               []string
	}{
		{"U.S. persons' data to a Chinese company", "CN", "US", "US", "personal.health", "US", "CN", "2026-01-01T00:00:00Z", []string{"us-dsp"}},
		{"U.S. persons' data to a Chinese company before 8 April 2025", "CN", "US", "US", "personal.health", "US", "CN", "2025-04-07T00:00:00Z", nil},
		{"U.S. persons' data between U.S. companies", "US", "US", "US", "personal.health", "US", "US", "2026-01-01T00:00:00Z", nil},
		{"U.S. persons' data held in Germany read by a German company", "DE", "DE", "US", "personal.contact", "US", "DE", "2026-01-01T00:00:00Z", []string{"us-dsp"}},
		{"Chinese data sent to Germany", "CN", "CN", "CN", "personal.contact", "CN", "DE", "2026-01-01T00:00:00Z", []string{"cn-cbdf"}},
		{"Chinese data read from the United States", "US", "CN", "CN", "technical.logs", "CN", "US", "2026-01-01T00:00:00Z", []string{"cn-cbdf"}},
		{"Chinese data staying in China", "CN", "CN", "CN", "personal.contact", "CN", "CN", "2026-01-01T00:00:00Z", nil},
		{"French personal data sent to Japan", "FR", "FR", "FR", "personal.contact", "FR", "JP", "2026-01-01T00:00:00Z", []string{"eu-gdpr"}},
		{"French personal data sent to Norway (EEA)", "FR", "FR", "FR", "personal.contact", "FR", "NO", "2026-01-01T00:00:00Z", nil},
		{"French machine logs sent to Japan (not personal data)", "FR", "FR", "FR", "technical.logs", "FR", "JP", "2026-01-01T00:00:00Z", nil},
		{"French personal data sent to Japan before 25 May 2018", "FR", "FR", "FR", "personal.contact", "FR", "JP", "2018-05-24T00:00:00Z", nil},
		{"data collected in China on U.S. persons, held in France, read by a Chinese company from Singapore", "CN", "FR", "CN", "personal.health", "US", "SG", "2026-01-01T00:00:00Z", []string{"us-dsp", "cn-cbdf", "eu-gdpr"}},
		{"data collected in China, held in France, sent back to China", "CN", "FR", "CN", "personal.health", "CN", "CN", "2026-01-01T00:00:00Z", []string{"eu-gdpr"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := fmt.Sprintf(tmpl, tc.requester, tc.location, tc.origin, tc.cat, tc.subj, tc.dest, tc.time)
			raw = strings.ReplaceAll(raw, `"destination":"",`, "")
			req, err := model.DecodeRequest([]byte(raw), reg)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			dec := eng.Evaluate(&policy.Input{Request: req}, policy.Options{})
			var got []string
			for _, po := range dec.Packs {
				got = append(got, po.Pack)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("packs applied %v; want %v", got, tc.want)
			}
		})
	}
}

// TestUSDSPOwnershipSum guards the us-dsp pack's ownership test
// (§ 202.211(a)(1), 50 % or more "individually or in the aggregate"): the
// shares of every country of concern add up, whatever its place in
// params.countries_of_concern — including a ninth country added to the
// list, which the pack must count without any other edit.
func TestUSDSPOwnershipSum(t *testing.T) {
	src, err := fs.ReadFile(policy.Embedded(), "packs/us-dsp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const list = "[CN, HK, MO, CU, IR, KP, RU, VE]"
	if !strings.Contains(string(src), list) {
		t.Fatalf("us-dsp.yaml no longer lists the countries of concern as %s; update this test", list)
	}
	ninth := strings.Replace(string(src), list, "[CN, HK, MO, CU, IR, KP, RU, VE, SY]", 1)
	reg, err := registry.Load()
	if err != nil {
		t.Fatal(err)
	}
	engines := map[string]*policy.Engine{}
	for name, text := range map[string]string{"bundled": string(src), "ninth": ninth} {
		packs, err := policy.Load(fstest.MapFS{"us-dsp.yaml": {Data: []byte(text)}}, "us-dsp.yaml")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		eng, err := policy.Compile(packs, reg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		engines[name] = eng
	}
	tests := []struct {
		name, pack string
		owners     map[string]float64
		want       model.Outcome
		rule       string
	}{
		{"last listed country (VE) and China add up to 50 %", "bundled", map[string]float64{"CN": 25, "VE": 25, "SG": 50}, model.Deny, "us-dsp-202-301-brokerage-country-of-concern"},
		{"every listed country at 6.25 % adds up to 50 %", "bundled", map[string]float64{"CN": 6.25, "HK": 6.25, "MO": 6.25, "CU": 6.25, "IR": 6.25, "KP": 6.25, "RU": 6.25, "VE": 6.25, "SG": 50}, model.Deny, "us-dsp-202-301-brokerage-country-of-concern"},
		{"49.9 % from countries of concern is not covered", "bundled", map[string]float64{"VE": 29.9, "RU": 20, "SG": 50.1}, model.Pending, "us-dsp-202-302-onward-transfer-clause"},
		{"a state not listed does not count", "bundled", map[string]float64{"VE": 30, "SY": 20, "SG": 50}, model.Pending, "us-dsp-202-302-onward-transfer-clause"},
		{"a ninth country, once listed, counts", "ninth", map[string]float64{"VE": 30, "SY": 20, "SG": 50}, model.Deny, "us-dsp-202-301-brokerage-country-of-concern"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := &model.Request{
				Action:      model.ActionTransfer,
				Requester:   model.Principal{ID: "broker-sg", Kind: model.KindCompany, Jurisdiction: "SG", Owners: tc.owners},
				Data:        model.Data{Location: "US", Origin: []string{"US"}, Categories: []string{"personal.health"}, Subjects: map[string]int64{"US": 20000}},
				Destination: "SG",
				Purpose:     model.PurposeCommercial,
				Transaction: "data-brokerage",
				Basis:       model.Basis{Kind: "contract"},
				Time:        time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC),
			}
			dec := engines[tc.pack].Evaluate(&policy.Input{Request: req}, policy.Options{Packs: []string{"us-dsp"}})
			if dec.Outcome != tc.want {
				t.Errorf("outcome %s; want %s (reasons %+v)", dec.Outcome, tc.want, dec.Reasons)
			}
			if len(dec.Packs) != 1 || !slices.Contains(dec.Packs[0].Rules, tc.rule) {
				t.Errorf("rules %+v; want %s among them", dec.Packs, tc.rule)
			}
		})
	}
}

// TestGDPRArt48IndexedPurposes guards the literal purposes that let the
// engine's index skip the art. 48 rule: they must be exactly the purposes
// of params.foreign_order_purposes, in every dated value, or the rule would
// miss a purpose the parameter adds (or test one it removed).
func TestGDPRArt48IndexedPurposes(t *testing.T) {
	packsFS, err := fs.Sub(policy.Embedded(), "packs")
	if err != nil {
		t.Fatal(err)
	}
	packs, err := policy.Load(packsFS, "eu-gdpr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pk := packs[0]
	var when string
	for _, r := range pk.Rules {
		if r.ID == "eu-gdpr-48-foreign-order" {
			when = r.When.Source
		}
	}
	const prefix = "request.purpose in ["
	start := strings.Index(when, prefix)
	if start < 0 {
		t.Fatalf("eu-gdpr-48-foreign-order does not start with %s...]: %q", prefix, when)
	}
	end := strings.Index(when[start:], "]")
	var literal []string
	for _, s := range strings.Split(when[start+len(prefix):start+end], ",") {
		literal = append(literal, strings.Trim(strings.TrimSpace(s), `"`))
	}
	slices.Sort(literal)
	found := false
	for _, p := range pk.Params {
		if p.Name != "foreign_order_purposes" {
			continue
		}
		found = true
		for _, v := range p.Values {
			list, ok := v.Value.([]string)
			if !ok {
				t.Fatalf("%s: foreign_order_purposes is %T, want a list of purposes", v.Pos, v.Value)
			}
			list = slices.Sorted(slices.Values(list))
			if !slices.Equal(list, literal) {
				t.Errorf("%s: foreign_order_purposes %v; eu-gdpr-48-foreign-order names %v", v.Pos, list, literal)
			}
		}
	}
	if !found {
		t.Fatal("eu-gdpr has no foreign_order_purposes param")
	}
}

// TestRegimeListsHaveNoEmptyString guards a shortcut the regime packs take
// for speed: they write `request.transaction != "" && request.transaction in
// params.x` (likewise destination, headquarters, employer, classification,
// basis kind, purpose) so that a request without the field skips the list.
// That means the same as the list test alone only while no list param holds
// the empty string.
func TestRegimeListsHaveNoEmptyString(t *testing.T) {
	packsFS, err := fs.Sub(policy.Embedded(), "packs")
	if err != nil {
		t.Fatal(err)
	}
	for name := range regimePacks {
		packs, err := policy.Load(packsFS, name+".yaml")
		if err != nil {
			t.Fatalf("load %s: %v", name, err)
		}
		for _, p := range packs[0].Params {
			for _, v := range p.Values {
				if list, ok := v.Value.([]string); ok && slices.Contains(list, "") {
					t.Errorf("%s: %s.%s lists the empty string", v.Pos, name, p.Name)
				}
			}
		}
	}
}

// BenchmarkCheckAutoLatency times single decisions with all bundled packs
// loaded and automatic selection (issue 5's figure), over the example
// requests (examples/requests, as BenchmarkCheckAuto) and over the regime
// examples (examples/regimes, where several packs apply at once), and
// reports the median and 99th percentile (p50-ns, p99-ns).
func BenchmarkCheckAutoLatency(b *testing.B) {
	reg, err := registry.Load()
	if err != nil {
		b.Fatal(err)
	}
	packsFS, err := fs.Sub(policy.Embedded(), "packs")
	if err != nil {
		b.Fatal(err)
	}
	packs, err := policy.Load(packsFS)
	if err != nil {
		b.Fatal(err)
	}
	eng, err := policy.Compile(packs, reg)
	if err != nil {
		b.Fatal(err)
	}
	for _, mix := range []string{"requests", "regimes"} {
		files, err := filepath.Glob(filepath.Join("..", "..", "examples", mix, "*.json"))
		if err != nil || len(files) == 0 {
			b.Fatalf("no example requests in examples/%s: %v", mix, err)
		}
		var inputs []*policy.Input
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			req, err := model.DecodeRequest(data, reg)
			if err != nil {
				b.Fatalf("%s: %v", f, err)
			}
			inputs = append(inputs, &policy.Input{Request: req, History: req.History})
		}
		b.Run(mix, func(b *testing.B) {
			lat := make([]time.Duration, 0, 1<<16)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				eng.Evaluate(inputs[i%len(inputs)], policy.Options{})
				if len(lat) < cap(lat) {
					lat = append(lat, time.Since(start))
				}
			}
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
				b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			}
		})
	}
}

// TestGDPRFrameworkMessage checks what eu-gdpr-44-transfer-tool says and
// offers for a third country with a framework decision: since Decision (EU)
// 2023/1795 the United States has one, for certified recipients only, so
// the message must not say that no adequacy decision covers it, and
// dpf-certified is offered beside scc. Between Schrems II and the DPF, and
// for a country with no decision at all, it says that none covers it.
func TestGDPRFrameworkMessage(t *testing.T) {
	reg, err := registry.Load()
	if err != nil {
		t.Fatal(err)
	}
	packsFS, err := fs.Sub(policy.Embedded(), "packs")
	if err != nil {
		t.Fatal(err)
	}
	packs, err := policy.Load(packsFS, "eu-gdpr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := policy.Compile(packs, reg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, to     string
		at           time.Time
		message      string
		wantMeasures []string
		roles        [2]string // exporter's and importer's, when given
	}{
		{"US under the DPF", "US", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), "The adequacy decision for US (the EU–U.S. Data Privacy Framework, Decision (EU) 2023/1795) covers only recipients certified under it: attest dpf-certified", []string{"dpf-certified", "scc"}, [2]string{}},
		{"US on the DPF's first day", "US", time.Date(2023, 7, 10, 0, 0, 0, 0, time.UTC), "covers only recipients certified under it: attest dpf-certified", []string{"dpf-certified", "scc"}, [2]string{}},
		{"US the day before the DPF", "US", time.Date(2023, 7, 9, 23, 59, 59, 0, time.UTC), "No adequacy decision covers US:", []string{"scc"}, [2]string{}},
		{"US under the Privacy Shield", "US", time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC), "(the EU–U.S. Privacy Shield, Decision (EU) 2016/1250) covers only recipients certified under it: attest privacy-shield-certified", []string{"privacy-shield-certified", "scc"}, [2]string{}},
		{"Singapore has no decision", "SG", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), "No adequacy decision covers SG:", []string{"scc"}, [2]string{}},
		{"controller to processor: module 2 offered", "SG", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), "No adequacy decision covers SG:", []string{"scc:module-2"}, [2]string{"controller", "processor"}},
		{"US processor to controller: DPF and module 4 offered", "US", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), "attest dpf-certified", []string{"dpf-certified", "scc:module-4"}, [2]string{"processor", "controller"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := &model.Request{
				Action:      model.ActionTransfer,
				Requester:   model.Principal{ID: "acme", Kind: model.KindCompany, Jurisdiction: "FR"},
				Data:        model.Data{Location: "FR", Categories: []string{"personal.contact"}, Subjects: map[string]int64{"FR": 100}},
				Destination: tc.to,
				Purpose:     model.PurposeCommercial,
				Basis:       model.Basis{Kind: "contract"},
				Time:        tc.at,
			}
			if tc.roles[0] != "" {
				req.Exporter = &model.Principal{ID: "acme", Kind: model.KindCompany, Role: tc.roles[0], Jurisdiction: "FR"}
				req.Importer = &model.Principal{ID: "svc", Kind: model.KindCompany, Role: tc.roles[1], Jurisdiction: tc.to}
			}
			dec := eng.Evaluate(&policy.Input{Request: req}, policy.Options{Packs: []string{"eu-gdpr"}})
			var msg string
			for _, r := range dec.Reasons {
				if r.Rule == "eu-gdpr-44-transfer-tool" {
					msg = r.Message
				}
			}
			if !strings.Contains(msg, tc.message) {
				t.Errorf("message %q; want it to contain %q", msg, tc.message)
			}
			var measures []string
			for _, r := range dec.Requires {
				if r.Rule == "eu-gdpr-44-transfer-tool" && r.Measure != "" {
					measures = append(measures, r.Measure)
				}
			}
			if !slices.Equal(measures, tc.wantMeasures) {
				t.Errorf("measures offered %v; want %v", measures, tc.wantMeasures)
			}
		})
	}
}
