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
	cases := []struct {
		name    string
		req     func() *model.Request
		outcome model.Outcome
		want    []store.CounterDelta
	}{
		{"deny counts nothing", base, model.Deny, nil},
		{"pending counts nothing", base, model.Pending, nil},
		{"allow counts every category and subject state", base, model.Allow, []store.CounterDelta{
			{RequestingState: "US", Counterparty: "acme", SubjectState: "BE", Category: "personal.health", Day: at, Subjects: 2},
			{RequestingState: "US", Counterparty: "acme", SubjectState: "FR", Category: "personal.health", Day: at, Subjects: 10},
			{RequestingState: "US", Counterparty: "acme", SubjectState: "BE", Category: "personal.contact", Day: at, Subjects: 2},
			{RequestingState: "US", Counterparty: "acme", SubjectState: "FR", Category: "personal.contact", Day: at, Subjects: 10},
		}},
		{"on behalf of a state counts against that state; devices under the location", func() *model.Request {
			r := base()
			r.OnBehalfOf = &model.Principal{ID: "mss", Kind: model.KindStateAuthority, Jurisdiction: "CN"}
			r.Data.Categories = []string{"personal.geolocation.precise"}
			r.Data.Subjects = map[string]int64{"BE": 3}
			r.Data.Devices = 50
			return r
		}, model.Allow, []store.CounterDelta{
			{RequestingState: "CN", Counterparty: "acme", SubjectState: "BE", Category: "personal.geolocation.precise", Day: at, Subjects: 3},
			{RequestingState: "CN", Counterparty: "acme", SubjectState: "FR", Category: "personal.geolocation.precise", Day: at, Devices: 50},
		}},
	}
	for _, c := range cases {
		got := store.CountsFor(c.req(), &model.Decision{Outcome: c.outcome})
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}

func TestWindows(t *testing.T) {
	day := func(y int, m time.Month, d int) int64 {
		return store.DayNumber(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	}
	cases := []struct {
		at                   time.Time
		rolling, ytd, to     int64
		rollingDays, ytdDays int64
	}{
		{time.Date(2026, 11, 22, 23, 59, 0, 0, time.UTC), day(2025, 11, 23), day(2026, 1, 1), day(2026, 11, 22), 365, 326},
		{time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC), day(2027, 3, 2), day(2028, 1, 1), day(2028, 3, 1), 366, 61},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), day(2026, 1, 2), day(2027, 1, 1), day(2027, 1, 1), 365, 1},
	}
	for _, c := range cases {
		r, y, to := store.Windows(c.at)
		if r != c.rolling || y != c.ytd || to != c.to {
			t.Errorf("Windows(%v) = %d, %d, %d; want %d, %d, %d", c.at, r, y, to, c.rolling, c.ytd, c.to)
		}
		if to-r+1 != c.rollingDays || to-y+1 != c.ytdDays {
			t.Errorf("Windows(%v): %d rolling days, %d ytd days; want %d, %d", c.at, to-r+1, to-y+1, c.rollingDays, c.ytdDays)
		}
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
