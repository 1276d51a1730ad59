package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// recordHashRE matches the random record hash, blanked in golden files.
var recordHashRE = regexp.MustCompile(`"record_hash":"[0-9a-f]{64}"`)

func TestDecisionEntryGolden(t *testing.T) {
	e, p, err := DecisionEntry(sampleRequest(1), sampleDecision())
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got := recordHashRE.ReplaceAll(leaf, []byte(`"record_hash":"<sha256(salt||record)>"`))
	golden := filepath.Join("testdata", "decision_entry.golden.json")
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestDecisionEntryGolden -update)", err)
	}
	if !bytes.Equal(got, bytes.TrimSuffix(want, []byte("\n"))) {
		t.Errorf("decision entry changed:\ngot  %s\nwant %s", got, want)
	}
	if err := VerifyPrivate(e, p); err != nil {
		t.Errorf("VerifyPrivate: %v", err)
	}
	if len(p.Salt) != 32 {
		t.Errorf("salt is %d bytes, want 32", len(p.Salt))
	}
}

// TestDecisionEntryKeepsPersonalDataOut checks that nothing that could
// identify a person or carry free text reaches the public entry, while the
// private record keeps it all.
func TestDecisionEntryKeepsPersonalDataOut(t *testing.T) {
	req, dec := sampleRequest(1), sampleDecision()
	req.OnBehalfOf = nil
	req.Basis.Authorizations = nil
	e, p, err := DecisionEntry(req, dec)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{
		req.Requester.ID, req.Data.Dataset, req.Basis.Ref, dec.ID,
		dec.Reasons[0].Message, dec.Reasons[0].Citation, "Jean Dupont", "secret",
	} {
		if bytes.Contains(leaf, []byte(secret)) {
			t.Errorf("public entry contains %q: %s", secret, leaf)
		}
		if !bytes.Contains(p.Record, []byte(secret)) {
			t.Errorf("private record lacks %q", secret)
		}
	}
}

func TestDecisionEntryRejectsFreeText(t *testing.T) {
	req, dec := sampleRequest(1), sampleDecision()
	dec.Reasons[0].Rule = "rule with spaces"
	if _, _, err := DecisionEntry(req, dec); err == nil || !strings.Contains(err.Error(), "rules[0]") {
		t.Fatalf("got %v, want an error naming rules[0]", err)
	}
	if _, _, err := DecisionEntry(nil, dec); err == nil {
		t.Fatal("nil request accepted")
	}
}

func TestVerifyPrivate(t *testing.T) {
	e, p, err := DecisionEntry(sampleRequest(1), sampleDecision())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		p    Private
		ok   bool
	}{
		{"the record", p, true},
		{"another salt", Private{Record: p.Record, Salt: make([]byte, 32)}, false},
		{"record changed", Private{Record: bytes.Replace(p.Record, []byte(`"FR"`), []byte(`"DE"`), 1), Salt: p.Salt}, false},
		{"no salt", Private{Record: p.Record}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyPrivate(e, tt.p)
			if tt.ok != (err == nil) {
				t.Fatalf("VerifyPrivate: %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrRecordHash) {
				t.Fatalf("error %v does not wrap ErrRecordHash", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	good := func() Entry { return mustDecisionEntry(t, 1) }
	tests := []struct {
		name   string
		modify func(*Entry)
		field  string // "" = valid
	}{
		{"valid", func(*Entry) {}, ""},
		{"unknown kind", func(e *Entry) { e.Kind = "gossip" }, "kind"},
		{"version", func(e *Entry) { e.Version = 2 }, "field v"},
		{"free text", func(e *Entry) { e.Purpose = "because I said so" }, "purpose"},
		{"non-ascii", func(e *Entry) { e.Location = "Fr\u00e9" }, "location"},
		{"quote", func(e *Entry) { e.Categories = []string{`a"b`} }, "categories[0]"},
		{"long code", func(e *Entry) { e.Subject = strings.Repeat("a", 65) }, "subject"},
		{"negative count", func(e *Entry) { e.Records = -1 }, "records"},
		{"count beyond 2^53", func(e *Entry) { e.Devices = 1 << 53 }, "devices"},
		{"subjects key", func(e *Entry) { e.Subjects = map[string]int64{"F R": 1} }, "subjects key"},
		{"party", func(e *Entry) { e.Requester = &Party{Kind: "company", State: "Acme Corp"} }, "requester.state"},
		{"pack version", func(e *Entry) { e.Packs = []PackVersion{{Name: "gdsi", Version: "v 1"}} }, "packs[0].version"},
		{"bad hash", func(e *Entry) { e.RecordHash = "abc" }, "record_hash"},
		{"hash not hex", func(e *Entry) { e.RecordHash = strings.Repeat("z", 64) }, "record_hash"},
		{"no time", func(e *Entry) { e.Time = time.Time{} }, "time"},
		{"not utc", func(e *Entry) { e.Time = time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600)) }, "time"},
		{"fraction", func(e *Entry) { e.Time = e.Time.Add(time.Millisecond) }, "time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := good()
			tt.modify(&e)
			err := e.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("Validate: %v, want an error naming %q", err, tt.field)
			}
			if _, err := e.Marshal(); err == nil {
				t.Fatal("Marshal accepted an invalid entry")
			}
		})
	}
}

// canonical reports whether data is its own RFC 8785 form, per jcs.
func canonical(t testing.TB, data []byte) {
	t.Helper()
	canon, err := jcs.Transform(data)
	if err != nil {
		t.Fatalf("jcs: %v", err)
	}
	if !bytes.Equal(canon, data) {
		t.Fatalf("not canonical:\ngot  %s\nwant %s", data, canon)
	}
}

func TestEntryCanonical(t *testing.T) {
	refers := uint64(1 << 40)
	since, zero := int64(86400), int64(0)
	full := Entry{
		Version: EntryVersion, Kind: KindRelease, Time: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Action: "transfer", Agreement: "de-fr-mlat", Authorizations: 2, Basis: "agreement",
		Categories: []string{"cii.energy", "personal.health"}, CIISector: "energy", CIIState: "FR",
		Classification: "important", Custodians: []string{"fr", "cn", "ch"}, Destination: "DE", Devices: 7, Digest: strings.Repeat("cd", 32), Jurisdiction: "FR",
		KeyFingerprint: strings.Repeat("ef", 32), Location: "FR", OnBehalfOf: &Party{Kind: "state-authority", Role: "intelligence", State: "US"},
		Origin: []string{"BE", "FR"}, Outcome: "allow", Packs: []PackVersion{{Name: "gdsi", Outcome: "allow", Version: "2026.11.0"}},
		Purpose: "research", RecordHash: strings.Repeat("ab", 32), Records: 1<<53 - 1, Refers: &refers,
		Requester: &Party{Kind: "company", Role: "processor", State: "DE"}, Requires: []string{"authorization_from:FR"},
		Rules: []string{"gdsi-2-cii", "us-dsp-202.401"}, SelectorCount: 3, Selectors: "specific", Subject: "pack/gdsi",
		Subjects: map[string]int64{"ZA": 1, "AT": 2, "FR": 0, "BE": 9}, Threshold: 2, Transaction: "vendor",
		Excluded: map[string]int64{"IT": 1, "DE": 2}, Severity: "high", SinceDiscovered: &since, SincePublished: &zero,
	}
	// Every member is set, so that the hand-written encoder is checked on
	// each: a field added to Entry and forgotten there fails here.
	fv := reflect.ValueOf(full)
	for i := range fv.NumField() {
		if fv.Field(i).IsZero() {
			t.Fatalf("the full entry leaves %s unset: set it, and write it in appendJSON", fv.Type().Field(i).Name)
		}
	}
	tests := []Entry{full, mustDecisionEntry(t, 7), VoidEntry(3, time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)),
		{Version: EntryVersion, Kind: KindAdvisory, Time: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), RecordHash: strings.Repeat("0", 64)}}
	for _, e := range tests {
		for range canonicalCheckEvery + 1 { // cover Marshal's sampled check too
			data, err := e.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			canonical(t, data)
			sameAsEncodingJSON(t, &e, data)
			back, err := ParseEntry(data)
			if err != nil {
				t.Fatalf("ParseEntry(%s): %v", data, err)
			}
			again, err := back.Marshal()
			if err != nil || !bytes.Equal(again, data) {
				t.Fatalf("round trip changed the entry:\n%s\n%s (%v)", data, again, err)
			}
		}
	}
}

// sameAsEncodingJSON checks that Marshal wrote what encoding/json writes
// for e (the encoder of the entries logged before Marshal wrote them by
// hand).
func sameAsEncodingJSON(t *testing.T, e *Entry, data []byte) {
	t.Helper()
	want, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		t.Fatalf("Marshal differs from encoding/json:\ngot  %s\nwant %s", data, want)
	}
}

// TestEntryEncodingOmits checks the members left out when empty and those
// always written, against encoding/json, one field at a time.
func TestEntryEncodingOmits(t *testing.T) {
	refers := uint64(0)
	base := Entry{Version: EntryVersion, Kind: KindDecision, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), RecordHash: strings.Repeat("a", 64)}
	variants := []func(e *Entry){
		func(*Entry) {},
		func(e *Entry) { e.Refers = &refers },
		func(e *Entry) { e.Categories = []string{} },
		func(e *Entry) { e.Subjects = map[string]int64{} },
		func(e *Entry) { e.Subjects = map[string]int64{"FR": 0} },
		func(e *Entry) { e.Packs = []PackVersion{{}} },
		func(e *Entry) {
			e.Packs = []PackVersion{{Name: "a", Version: "1"}, {Name: "b", Outcome: "deny", Version: "2"}}
		},
		func(e *Entry) { e.Requester = &Party{} },
		func(e *Entry) { e.OnBehalfOf = &Party{State: "FR"} },
		func(e *Entry) { e.Authorizations, e.Devices, e.Records, e.SelectorCount = 1, 2, 3, 4 },
		func(e *Entry) { e.Rules = []string{"a", "a"} },
	}
	subjects := map[string]int64{}
	for i := range 40 { // more keys than appendJSON sorts on the stack
		subjects[fmt.Sprintf("S%02d", 39-i)] = int64(i)
	}
	variants = append(variants, func(e *Entry) { e.Subjects = subjects })
	for i, v := range variants {
		e := base
		v(&e)
		data, err := e.Marshal()
		if err != nil {
			t.Fatalf("variant %d: %v", i, err)
		}
		canonical(t, data)
		sameAsEncodingJSON(t, &e, data)
	}
}

// FuzzAppendJSONString checks the string writer against encoding/json
// for any string, codes or not.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "FR", "a\"b", "<&>", "\u2028", "\xff", "é", "\x7f", "tab\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString([]byte("x"), s); !bytes.Equal(got, append([]byte("x"), want...)) {
			t.Fatalf("appendJSONString(%q) = %s, want x%s", s, got, want)
		}
	})
}

// FuzzEntryCanonical checks that every entry Validate accepts is written in
// canonical form, whatever its codes and counts.
func FuzzEntryCanonical(f *testing.F) {
	f.Add("decision", "FR", "personal.health", "gdsi-3", int64(12), int64(5), "2026.11.0", int64(1700000000))
	f.Add("release", "x", "", "a:b/c+d_e", int64(0), int64(1<<53-1), "", int64(0))
	f.Fuzz(func(t *testing.T, kind, state, category, rule string, count, records int64, version string, unix int64) {
		e := Entry{
			Version: EntryVersion, Kind: kind, Time: time.Unix(unix, 0).UTC(),
			Location: state, Categories: []string{category, rule}, Rules: []string{rule},
			Subjects: map[string]int64{state: count, rule: records}, Records: records,
			Packs:      []PackVersion{{Name: rule, Version: version}},
			Requester:  &Party{Kind: category, State: state},
			RecordHash: strings.Repeat("0f", 32),
		}
		data, err := e.Marshal()
		if err != nil {
			return
		}
		canonical(t, data)
		sameAsEncodingJSON(t, &e, data)
		if _, err := ParseEntry(data); err != nil {
			t.Fatalf("ParseEntry of a marshalled entry: %v", err)
		}
		if !screenEntry(data) {
			t.Fatalf("the audit's byte screen rejects a canonical entry: %s", data)
		}
	})
}

// FuzzParseEntry checks that ParseEntry never panics and accepts only what
// Marshal reproduces byte for byte.
func FuzzParseEntry(f *testing.F) {
	e := mustDecisionEntry(f, 1)
	data, err := e.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"kind":"void"}`))
	f.Add([]byte(`{"v":1} trailing`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseEntry(data)
		if err != nil {
			return
		}
		again, err := e.Marshal()
		if err != nil {
			t.Fatalf("parsed entry does not marshal: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("ParseEntry accepted a leaf Marshal does not reproduce:\n%s\n%s", data, again)
		}
		if !screenEntry(data) {
			t.Fatalf("the audit's byte screen rejects an entry ParseEntry accepts: %s", data)
		}
	})
}

func TestVoidEntry(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	e := VoidEntry(41, at.Add(300*time.Millisecond))
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	if e.Refers == nil || *e.Refers != 41 || e.Kind != KindVoid {
		t.Fatalf("void entry %+v", e)
	}
	// Anyone can rebuild the record and check the hash.
	rec, err := json.Marshal(map[string]any{"kind": "void", "refers": 41, "time": "2026-11-22T10:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	canon, err := jcs.Transform(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyPrivate(e, Private{Record: canon}); err != nil {
		t.Fatal(err)
	}
}

func TestNewRecordKinds(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for _, k := range Kinds {
		e, p, err := NewRecord(k, at, map[string]string{"note": "free text is fine in the private record"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if err := VerifyPrivate(e, p); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
	if _, _, err := NewRecord(KindAdvisory, at, func() {}); err == nil {
		t.Fatal("NewRecord accepted a record that cannot be encoded")
	}
}
