package store_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

func TestCountsFor(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	base := func() *model.Request {
		return &model.Request{
			Requester: model.Principal{ID: "acme", Kind: model.KindCompany, Jurisdiction: "US"},
			Data:      model.Data{Location: "FR", Categories: []string{"personal.health", "personal.contact"}, Subjects: map[string]int64{"FR": 10, "BE": 2, "DE": 0}},
			Time:      at,
		}
	}
	st := func(key, subject, cat string, n, devices int64) store.CounterDelta {
		return store.CounterDelta{Scope: model.ScopeState, Key: key, SubjectState: subject, Category: cat, Day: at, Subjects: n, Devices: devices}
	}
	in := func(d store.CounterDelta, scope model.CounterScope, key string) store.CounterDelta {
		d.Scope, d.Key = scope, key
		return d
	}
	fr := st("US", "FR", "personal.health", 10, 0)
	// andExporter is ds followed by the same counts under the exporter
	// scope of key.
	andExporter := func(key string, ds ...store.CounterDelta) []store.CounterDelta {
		out := append([]store.CounterDelta(nil), ds...)
		for _, d := range ds {
			out = append(out, in(d, model.ScopeExporter, key))
		}
		return out
	}
	cases := []struct {
		name    string
		req     func() *model.Request
		outcome model.Outcome
		want    []store.CounterDelta
	}{
		{"deny counts nothing", base, model.Deny, nil},
		{"without parties the requester stands for the exporter", func() *model.Request {
			r := base()
			r.Data.Categories = []string{"personal.health"}
			r.Data.Subjects = map[string]int64{"FR": 10}
			return r
		}, model.Allow, []store.CounterDelta{fr, in(fr, model.ScopeExporter, "acme")}},
		{"pending counts nothing", base, model.Pending, nil},
		{"allow counts every category and subject state", base, model.Allow, andExporter("acme",
			st("US", "BE", "personal.health", 2, 0),
			st("US", "FR", "personal.health", 10, 0),
			st("US", "BE", "personal.contact", 2, 0),
			st("US", "FR", "personal.contact", 10, 0),
		)},
		{"on behalf of a state counts against that state; devices under the location", func() *model.Request {
			r := base()
			r.OnBehalfOf = &model.Principal{ID: "mss", Kind: model.KindStateAuthority, Jurisdiction: "CN"}
			r.Data.Categories = []string{"personal.geolocation.precise"}
			r.Data.Subjects = map[string]int64{"BE": 3}
			r.Data.Devices = 50
			return r
		}, model.Allow, andExporter("acme",
			st("CN", "BE", "personal.geolocation.precise", 3, 0),
			st("CN", "FR", "personal.geolocation.precise", 0, 50),
		)},
		{"with parties: the acting state, the exporter-importer pair and the exporter", func() *model.Request {
			r := base()
			r.Exporter = &model.Principal{ID: "us-health", Kind: model.KindCompany, Jurisdiction: "US"}
			r.Importer = &model.Principal{ID: "acme", Kind: model.KindCompany, Jurisdiction: "CN"}
			r.Data.Categories = []string{"personal.health"}
			r.Data.Subjects = map[string]int64{"FR": 10}
			return r
		}, model.Allow, []store.CounterDelta{
			fr,
			in(fr, model.ScopePair, "us-health\x1facme"),
			in(fr, model.ScopeExporter, "us-health"),
		}},
		{"an exporter without an importer: no pair", func() *model.Request {
			r := base()
			r.Exporter = &model.Principal{ID: "cn-shop", Kind: model.KindCompany, Jurisdiction: "CN"}
			r.Data.Categories = []string{"personal.health"}
			r.Data.Subjects = map[string]int64{"FR": 10}
			return r
		}, model.Allow, []store.CounterDelta{fr, in(fr, model.ScopeExporter, "cn-shop")}},
		{"counts per category: each category with its own number", func() *model.Request {
			r := base()
			r.Data.Categories = []string{"personal.health", "personal.identifier.government", "personal.contact"}
			r.Data.Subjects = map[string]int64{"US": 150000, "FR": 10}
			r.Data.SubjectsByCategory = map[string]map[string]int64{
				"personal.health":                {"US": 900},
				"personal.identifier.government": {"US": 150000, "FR": 0},
			}
			return r
		}, model.Allow, andExporter("acme",
			st("US", "FR", "personal.health", 10, 0),
			st("US", "US", "personal.health", 900, 0),
			st("US", "US", "personal.identifier.government", 150000, 0),
			st("US", "FR", "personal.contact", 10, 0),
			st("US", "US", "personal.contact", 150000, 0),
		)},
		{"no acting state: nothing is counted", func() *model.Request {
			r := base()
			r.Requester.Jurisdiction = ""
			return r
		}, model.Allow, nil},
	}
	for _, c := range cases {
		got := store.CountsFor(c.req(), &model.Decision{Outcome: c.outcome})
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}

// TestWindowDays: each scope's windows, at their edges, in the scope's
// calendar (UTC, or China Standard Time for the exporter scope).
func TestWindowDays(t *testing.T) {
	day := func(y int, m time.Month, d int) int64 {
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
	}
	utc := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	cases := []struct {
		name     string
		scope    model.CounterScope
		window   string
		at       time.Time
		from, to int64
	}{
		{"state 12m", model.ScopeState, "12m", utc(2026, 11, 22, 23, 59), day(2025, 11, 23), day(2026, 11, 22)},
		{"state ytd", model.ScopeState, "ytd", utc(2026, 11, 22, 23, 59), day(2026, 1, 1), day(2026, 11, 22)},
		{"pair 12m over 29 February", model.ScopePair, "12m", utc(2028, 3, 1, 0, 0), day(2027, 3, 2), day(2028, 3, 1)},
		{"pair 12m on 1 January", model.ScopePair, "12m", utc(2027, 1, 1, 0, 0), day(2026, 1, 2), day(2027, 1, 1)},
		{"pair: 31 Dec 23:59 UTC is still the old year", model.ScopePair, "ytd", utc(2026, 12, 31, 23, 59), day(2026, 1, 1), day(2026, 12, 31)},
		{"exporter: 31 Dec 15:59 UTC is 23:59 in Shanghai, the old year", model.ScopeExporter, "ytd", utc(2026, 12, 31, 15, 59), day(2026, 1, 1), day(2026, 12, 31)},
		{"exporter: 31 Dec 16:00 UTC is 1 Jan 00:00 in Shanghai, a new year", model.ScopeExporter, "ytd", utc(2026, 12, 31, 16, 0), day(2027, 1, 1), day(2027, 1, 1)},
		{"exporter: 12m in Shanghai days", model.ScopeExporter, "12m", utc(2026, 12, 31, 16, 0), day(2026, 1, 2), day(2027, 1, 1)},
	}
	for _, c := range cases {
		from, to, err := model.WindowDays(c.scope, c.window, c.at)
		if err != nil || from != c.from || to != c.to {
			t.Errorf("%s: %d..%d, %v; want %d..%d", c.name, from, to, err, c.from, c.to)
		}
	}
	if _, _, err := model.WindowDays(model.ScopeState, "13m", utc(2026, 1, 1, 0, 0)); err == nil {
		t.Error("window 13m accepted")
	}
	// A count's day is its date in the scope's calendar.
	late := utc(2026, 12, 31, 17, 0)
	if got := model.DayIn(model.ScopeExporter, late); got != day(2027, 1, 1) {
		t.Errorf("exporter day of %v = %d, want 1 January 2027", late, got)
	}
	if got := model.DayIn(model.ScopePair, late); got != day(2026, 12, 31) {
		t.Errorf("pair day of %v = %d, want 31 December 2026", late, got)
	}
}

// TestRollUp: a count adds to its subject state and to "*", under every
// prefix of its category and ""; rows come out summed and sorted.
func TestRollUp(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	rows := store.RollUp([]store.CounterDelta{
		{Key: "US", SubjectState: "FR", Category: "personal.identifier.government", Day: at, Subjects: 2},
		{Key: "US", SubjectState: "BE", Category: "personal.health", Day: at, Subjects: 3, Devices: 1},
	})
	got := map[string]int64{}
	for i, r := range rows {
		if i > 0 && rows[i-1].SubjectState+"/"+rows[i-1].Prefix >= r.SubjectState+"/"+r.Prefix {
			t.Errorf("rows out of order at %d: %+v", i, rows)
		}
		if r.Scope != model.ScopeState || r.Key != "US" || r.Day != store.DayNumber(at) {
			t.Errorf("row %+v: wrong scope, key or day", r)
		}
		got[r.SubjectState+"/"+r.Prefix] = r.Subjects
	}
	want := map[string]int64{
		"FR/": 2, "FR/personal": 2, "FR/personal.identifier": 2, "FR/personal.identifier.government": 2,
		"BE/": 3, "BE/personal": 3, "BE/personal.health": 3,
		"*/": 5, "*/personal": 5, "*/personal.identifier": 2, "*/personal.identifier.government": 2, "*/personal.health": 3,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rolled up:\n got %v\nwant %v", got, want)
	}
}

func TestMigrations(t *testing.T) {
	cases := []struct {
		files map[string]string
		err   string
	}{
		{map[string]string{"m/0001_a.sql": "A", "m/0002_b.sql": "B", "m/README": "x"}, ""},
		{map[string]string{"m/0001_a.sql": "A", "m/0003_b.sql": "B"}, ""}, // gaps: numbers are handed out per area of work
		{map[string]string{"m/0001_a.sql": "A", "m/0001_c.sql": "C"}, "version 1 is taken"},
		{map[string]string{"m/first.sql": "A"}, "first.sql: name must be NNNN_description.sql"},
		{map[string]string{"m/0001_a.sql": "A", "m/1_b.sql": "B"}, "version 1 is taken"},
	}
	for _, c := range cases {
		fsys := fstest.MapFS{}
		for name, body := range c.files {
			fsys[name] = &fstest.MapFile{Data: []byte(body)}
		}
		ms, err := store.Migrations(fsys, "m")
		if c.err == "" {
			if err != nil || len(ms) != 2 || ms[1].SQL != "B" {
				t.Errorf("%v: got %v, %v", c.files, ms, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%v: got error %v, want one containing %q", c.files, err, c.err)
		}
	}
}

func TestPendingMigrations(t *testing.T) {
	ms := []store.Migration{{Version: 1, Name: "0001_a.sql"}, {Version: 7, Name: "0007_b.sql"}, {Version: 10, Name: "0010_c.sql"}}
	cases := []struct {
		applied []int
		want    []int
		newer   bool
	}{
		{nil, []int{1, 7, 10}, false},
		{[]int{1, 10}, []int{7}, false}, // a lower number that arrived later is still applied
		{[]int{1, 7, 10}, nil, false},
		{[]int{1, 11}, nil, true},
	}
	for _, c := range cases {
		got, err := store.Pending(ms, c.applied)
		var se *store.SchemaError
		if c.newer {
			if !errors.As(err, &se) || se.Database != 11 || se.Known != 10 {
				t.Errorf("applied %v: got %v, want a SchemaError 11 > 10", c.applied, err)
			}
			continue
		}
		var vs []int
		for _, m := range got {
			vs = append(vs, m.Version)
		}
		if err != nil || !slices.Equal(vs, c.want) {
			t.Errorf("applied %v: got %v, %v; want %v", c.applied, vs, err, c.want)
		}
	}
}

func TestSchemaErrorNamesBothVersions(t *testing.T) {
	msg := (&store.SchemaError{Database: 7, Known: 3}).Error()
	if !strings.Contains(msg, "version 7") || !strings.Contains(msg, "(3)") {
		t.Errorf("message %q does not name both versions", msg)
	}
}

func TestNewToken(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s1, t1, err := store.NewToken("acme", store.RoleRequester, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s2, _, _ := store.NewToken("acme", store.RoleRequester, now, 0)
	if s1 == s2 || !strings.HasPrefix(s1, "accord_") {
		t.Errorf("secrets %q %q", s1, s2)
	}
	if string(t1.Hash) != string(store.HashToken(s1)) || strings.Contains(t1.ID, s1[7:]) {
		t.Errorf("token %+v does not match its secret, or leaks it", t1)
	}
	if !t1.Expires.Equal(now.Add(time.Hour)) {
		t.Errorf("expires = %v", t1.Expires)
	}
	if _, _, err := store.NewToken("acme", store.RoleRequester, now, -time.Second); err == nil {
		t.Error("negative lifetime accepted")
	}
}
