package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/model"
)

// fill sets v, recursively, to random values: every string, number, list,
// map and pointer of the model, with strings that need escaping, floats
// of every magnitude, nil and empty lists and maps, times in and out of
// UTC. A field added to the model is filled too.
func fill(rnd *rand.Rand, v reflect.Value, depth int) {
	strs := []string{"", "FR", "personal.health", `a"b\c`, "<&>", "é—«»", "\u2028\u2029", "\xff\xfe", "tab\t\nline\r\b\f\x01\x1f\x7f", "Jean Dupont"}
	switch v.Kind() {
	case reflect.String:
		v.SetString(strs[rnd.IntN(len(strs))])
	case reflect.Bool:
		v.SetBool(rnd.IntN(2) == 0)
	case reflect.Int, reflect.Int64:
		v.SetInt([]int64{0, 1, -5, 42, 1<<53 - 1, math.MaxInt64}[rnd.IntN(6)])
	case reflect.Uint64:
		v.SetUint([]uint64{0, 7, math.MaxUint64}[rnd.IntN(3)])
	case reflect.Float64:
		v.SetFloat([]float64{0, 0.25, 1e-7, 1e-6, 1e21, 1e20, 123456789, -0.5, 1.5e300, 5e-324, 33.333333333333336}[rnd.IntN(11)])
	case reflect.Pointer:
		if depth > 6 || rnd.IntN(4) == 0 {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(rnd, p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		switch n := rnd.IntN(5); {
		case n == 0 || depth > 6:
			v.SetZero()
		case n == 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := range n - 1 {
				fill(rnd, s.Index(i), depth+1)
			}
			v.Set(s)
		}
	case reflect.Map:
		switch n := rnd.IntN(5); {
		case n == 0 || depth > 6:
			v.SetZero()
		case n == 1:
			v.Set(reflect.MakeMap(v.Type()))
		default:
			m := reflect.MakeMap(v.Type())
			for range n + 3 {
				k := reflect.New(v.Type().Key()).Elem()
				fill(rnd, k, depth+1)
				e := reflect.New(v.Type().Elem()).Elem()
				fill(rnd, e, depth+1)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			ts := []time.Time{
				{},
				time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
				time.Date(2026, 11, 22, 10, 0, 1, 500, time.UTC),
				time.Date(2026, 11, 22, 10, 0, 1, 0, time.FixedZone("CET", 3600)),
				time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Local(),
			}
			v.Set(reflect.ValueOf(ts[rnd.IntN(len(ts))]))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(rnd, v.Field(i), depth+1)
			}
		}
	case reflect.Interface:
		// model.History.Source: the server's counters, never encoded.
		v.SetZero()
	default:
		panic("fill: add kind " + v.Kind().String())
	}
}

// TestDecisionRecordEncoding checks that the private record of a decision
// is written byte for byte as encoding/json writes decisionRecord, for
// requests and decisions with every field of the model set in turn.
func TestDecisionRecordEncoding(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	check := func(req *model.Request, dec *model.Decision) {
		t.Helper()
		want, werr := json.Marshal(decisionRecord{Request: req, Decision: dec})
		got, gerr := marshalDecisionRecord(nil, req, dec)
		if (werr != nil) != (gerr != nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Fatalf("errors differ: got %v, want %v", gerr, werr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("record differs from encoding/json:\ngot  %s\nwant %s", got, want)
		}
	}
	check(sampleRequest(3), sampleDecision())
	check(nil, nil)
	// Counts per category: sorted at both levels, a nil inner map as null.
	perCat := sampleRequest(3)
	perCat.Data.Categories = []string{"personal.health", "personal.identifier.government", "personal.contact"}
	perCat.Data.SubjectsByCategory = map[string]map[string]int64{
		"personal.identifier.government": {"US": 150000, "FR": 2},
		"personal.health":                {"US": 900},
		"personal.contact":               nil,
		"a\"b<":                          {},
	}
	check(perCat, sampleDecision())
	for range 3000 {
		var req model.Request
		var dec model.Decision
		fill(rnd, reflect.ValueOf(&req).Elem(), 0)
		fill(rnd, reflect.ValueOf(&dec).Elem(), 0)
		check(&req, &dec)
	}
	// Values encoding/json rejects: the same error.
	req, dec := sampleRequest(1), sampleDecision()
	req.Requester.Owners = map[string]float64{"CN": math.NaN()}
	check(req, dec)
	req.Requester.Owners = map[string]float64{"CN": math.Inf(1)}
	check(req, dec)
	req = sampleRequest(1)
	req.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	check(req, dec)
	dec.Time = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)
	check(sampleRequest(1), dec)
	dec.Time = time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("odd", 24*3600+60))
	check(sampleRequest(1), dec)
}

// TestDecisionEntryRecord checks that DecisionEntry's private record is the
// hand-written encoding and hashes to the entry's record_hash.
func TestDecisionEntryRecord(t *testing.T) {
	req, dec := sampleRequest(2), sampleDecision()
	e, p, err := DecisionEntry(req, dec)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(decisionRecord{Request: req, Decision: dec})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Record, want) {
		t.Fatalf("record:\ngot  %s\nwant %s", p.Record, want)
	}
	if err := VerifyPrivate(e, p); err != nil {
		t.Fatal(err)
	}
}

// TestDecisionLeaf checks that DecisionLeaf holds the entry DecisionEntry
// builds and exactly its canonical JSON, and refuses what DecisionEntry
// refuses.
func TestDecisionLeaf(t *testing.T) {
	req, dec := sampleRequest(4), sampleDecision()
	leaf, p, err := DecisionLeaf(req, dec)
	if err != nil {
		t.Fatal(err)
	}
	e := leaf.Entry()
	data, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(leaf.Bytes(), data) || leaf.Len() != len(data) || leaf.Kind() != KindDecision {
		t.Fatalf("leaf %s (len %d, kind %s), entry marshals to %s", leaf.Bytes(), leaf.Len(), leaf.Kind(), data)
	}
	if err := VerifyPrivate(e, p); err != nil {
		t.Fatal(err)
	}
	// The same entry as DecisionEntry's, but for the record's fresh salt.
	e2, _, err := DecisionEntry(req, dec)
	if err != nil {
		t.Fatal(err)
	}
	e2.RecordHash = e.RecordHash
	if !reflect.DeepEqual(e, e2) {
		t.Fatalf("DecisionLeaf entry %+v, DecisionEntry %+v", e, e2)
	}
	dec.Reasons[0].Rule = "rule with spaces"
	if _, _, err := DecisionLeaf(req, dec); err == nil || !strings.Contains(err.Error(), "rules[0]") {
		t.Fatalf("got %v, want an error naming rules[0]", err)
	}
	bad := e
	bad.Subject = "Jean Dupont"
	if _, err := NewLeaf(bad); err == nil || !strings.Contains(err.Error(), "entry field subject") {
		t.Fatalf("NewLeaf of free text: got %v", err)
	}
}

// TestAppendLeaf checks that AppendLeaf logs the leaf's bytes, enforces
// the size limit as Append does, and refuses a zero Leaf before queueing.
func TestAppendLeaf(t *testing.T) {
	opts := testOptions()
	opts.MaxEntrySize = 1000
	l, _ := openTest(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	leaf, _, err := DecisionLeaf(sampleRequest(1), sampleDecision())
	if err != nil {
		t.Fatal(err)
	}
	idx, err := l.AppendLeaf(ctx, leaf)
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Receipt(ctx, idx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Entry, leaf.Bytes()) {
		t.Fatalf("logged %s, want %s", r.Entry, leaf.Bytes())
	}
	if _, err := l.AppendLeaf(ctx, Leaf{}); !errors.Is(err, ErrNotQueued) {
		t.Fatalf("zero leaf: got %v, want ErrNotQueued", err)
	}
	e := leaf.Entry()
	for i := range 40 {
		e.Categories = append(slices.Clone(e.Categories), fmt.Sprintf("important.sector-%02d", i))
	}
	big, err := NewLeaf(e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.AppendLeaf(ctx, big); !errors.Is(err, ErrEntryTooLarge) || !errors.Is(err, ErrNotQueued) {
		t.Fatalf("large leaf: got %v, want ErrEntryTooLarge and ErrNotQueued", err)
	}
}

// TestSortedSets checks that the two lists come back sorted and without
// repeats, each as sortedSet gives it, and leave the inputs unchanged.
func TestSortedSets(t *testing.T) {
	for _, tc := range []struct{ a, b []string }{
		{nil, nil},
		{[]string{"FR"}, nil},
		{nil, []string{"b", "a", "b"}},
		{[]string{"FR", "BE", "FR"}, []string{"personal.health", "cii.energy", "personal.health", "a"}},
		{[]string{"z", "z", "z"}, []string{"y"}},
	} {
		a0, b0 := slices.Clone(tc.a), slices.Clone(tc.b)
		x, y := sortedSets(tc.a, tc.b)
		if !reflect.DeepEqual(x, sortedSet(a0)) || !reflect.DeepEqual(y, sortedSet(b0)) {
			t.Errorf("sortedSets(%q, %q) = %q, %q", tc.a, tc.b, x, y)
		}
		if !slices.Equal(tc.a, a0) || !slices.Equal(tc.b, b0) {
			t.Errorf("inputs changed: %q %q", tc.a, tc.b)
		}
		if len(x) > 0 && len(y) > 0 {
			if x = append(x, "zz"); y[0] == "zz" {
				t.Errorf("the lists share storage past the first's length")
			}
		}
	}
}
