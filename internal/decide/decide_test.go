package decide

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
)

// fixedEngine answers every request with the same outcome and remembers
// what it was given.
type fixedEngine struct {
	outcome model.Outcome
	got     *policy.Input
}

func (e *fixedEngine) Evaluate(in *policy.Input, _ policy.Options) model.Decision {
	e.got = in
	return model.Decision{Outcome: e.outcome, Reasons: []model.Reason{{Rule: "r1", Pack: "p", Effect: "deny"}}}
}

// memLog is a log in memory that can be told to fail.
type memLog struct {
	entries []ledger.Entry
	fail    error
}

func (l *memLog) Append(_ context.Context, e ledger.Entry) (uint64, error) {
	if l.fail != nil {
		return 0, l.fail
	}
	l.entries = append(l.entries, e)
	return uint64(len(l.entries) - 1), nil
}

type recorder struct {
	got  []Record
	fail error
}

func (r *recorder) RecordDecision(_ context.Context, rec Record) error {
	if r.fail != nil {
		return r.fail
	}
	r.got = append(r.got, rec)
	return nil
}

type history struct{ h *model.History }

func (h history) History(context.Context, *model.Request, time.Time) (*model.History, error) {
	return h.h, nil
}

func request() *model.Request {
	return &model.Request{
		Action:    model.ActionAccess,
		Requester: model.Principal{ID: "acme", Kind: model.KindCompany, Jurisdiction: "FR"},
		Data:      model.Data{Location: "DE", Categories: []string{"personal.contact"}, Subjects: map[string]int64{"DE": 3}},
	}
}

var clock = func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }

func TestCheckIsNotBindingAndNotLogged(t *testing.T) {
	log := &memLog{}
	d := New(&fixedEngine{outcome: model.Allow}, WithLog(log), WithClock(clock))
	dec, err := d.Check(context.Background(), request(), false)
	if err != nil {
		t.Fatal(err)
	}
	if dec.Binding || dec.LogIndex != nil || dec.ID != "" || len(log.entries) != 0 {
		t.Errorf("dry run: binding=%v index=%v id=%q entries=%d; want non-binding, unlogged", dec.Binding, dec.LogIndex, dec.ID, len(log.entries))
	}
	if !dec.Time.Equal(clock()) {
		t.Errorf("time = %v, want %v", dec.Time, clock())
	}
}

func TestDecideLogsThenRecords(t *testing.T) {
	log, rec := &memLog{}, &recorder{}
	d := New(&fixedEngine{outcome: model.Deny}, WithLog(log), WithRecorder(rec), WithClock(clock))
	dec, err := d.Decide(context.Background(), request())
	if err != nil {
		t.Fatal(err)
	}
	if !dec.Binding || dec.LogIndex == nil || *dec.LogIndex != 0 || dec.ID == "" {
		t.Fatalf("decision = %+v; want binding, index 0, an id", dec)
	}
	if len(log.entries) != 1 || log.entries[0].Kind != ledger.KindDecision || log.entries[0].Outcome != "deny" {
		t.Fatalf("log = %+v", log.entries)
	}
	if len(rec.got) != 1 || rec.got[0].Decision.ID != dec.ID {
		t.Fatalf("recorded %+v", rec.got)
	}
	// The stored private record is the one the public entry commits to.
	if err := ledger.VerifyPrivate(log.entries[0], rec.got[0].Private); err != nil {
		t.Error(err)
	}
}

func TestDecideFailures(t *testing.T) {
	t.Run("no log", func(t *testing.T) {
		_, err := New(&fixedEngine{}).Decide(context.Background(), request())
		if !errors.Is(err, ErrNoLog) {
			t.Errorf("err = %v, want ErrNoLog", err)
		}
	})
	t.Run("append fails: nothing stored", func(t *testing.T) {
		log, rec := &memLog{fail: errors.New("disk full")}, &recorder{}
		_, err := New(&fixedEngine{outcome: model.Allow}, WithLog(log), WithRecorder(rec)).Decide(context.Background(), request())
		if err == nil || len(rec.got) != 0 {
			t.Errorf("err = %v, recorded %d; want error and nothing recorded", err, len(rec.got))
		}
	})
	t.Run("store fails after append: void entry", func(t *testing.T) {
		log, rec := &memLog{}, &recorder{fail: errors.New("db down")}
		_, err := New(&fixedEngine{outcome: model.Allow}, WithLog(log), WithRecorder(rec), WithClock(clock)).Decide(context.Background(), request())
		if !errors.Is(err, ErrNotCommitted) {
			t.Fatalf("err = %v, want ErrNotCommitted", err)
		}
		if len(log.entries) != 2 || log.entries[1].Kind != ledger.KindVoid || log.entries[1].Refers == nil || *log.entries[1].Refers != 0 {
			t.Fatalf("log = %+v; want the decision then a void referring to index 0", log.entries)
		}
	})
}

func TestInputRules(t *testing.T) {
	t.Run("history in body refused when the server keeps counters", func(t *testing.T) {
		req := request()
		req.History = &model.History{}
		_, err := New(&fixedEngine{}, WithHistory(history{})).Check(context.Background(), req, false)
		if !errors.Is(err, ErrBadInput) {
			t.Errorf("err = %v, want ErrBadInput", err)
		}
	})
	t.Run("history from the source reaches the packs", func(t *testing.T) {
		h := &model.History{Rolling12m: map[string]map[string]model.Count{"DE": {"personal": {Subjects: 9}}}}
		eng := &fixedEngine{}
		if _, err := New(eng, WithHistory(history{h})).Check(context.Background(), request(), false); err != nil {
			t.Fatal(err)
		}
		if eng.got.History != h {
			t.Errorf("packs saw history %v, want the source's", eng.got.History)
		}
	})
	t.Run("history in a request file is used offline", func(t *testing.T) {
		req := request()
		req.History = &model.History{}
		eng := &fixedEngine{}
		if _, err := New(eng).Check(context.Background(), req, false); err != nil {
			t.Fatal(err)
		}
		if eng.got.History != req.History {
			t.Error("packs did not see the request's history")
		}
	})
	t.Run("authorizations without an authorizer are refused", func(t *testing.T) {
		req := request()
		req.Basis.Authorizations = []model.Envelope{{PayloadType: "x", Payload: "e30="}}
		_, err := New(&fixedEngine{}).Check(context.Background(), req, false)
		if !errors.Is(err, ErrBadInput) {
			t.Errorf("err = %v, want ErrBadInput", err)
		}
	})
}

type parties map[string][]string

func (p parties) AgreementParties(id string) []string { return p[id] }

func TestThirdStateExclusion(t *testing.T) {
	fr := model.Principal{ID: "bka", Kind: model.KindStateAuthority, Role: "law-enforcement", Jurisdiction: "FR"}
	tests := []struct {
		name      string
		basis     model.Basis
		location  string
		subjects  map[string]int64
		outcome   model.Outcome
		seen      map[string]int64 // subjects the packs saw
		excluded  []model.Excluded
		pendingOn []string
	}{
		{"mla: third-state subjects left out", model.Basis{Kind: "mla"}, "CN", map[string]int64{"CN": 3, "DE": 2},
			model.Allow, map[string]int64{"CN": 3}, []model.Excluded{{State: "DE", Subjects: 2, Reason: "subjects-third-state"}}, nil},
		{"mla: only third-state subjects", model.Basis{Kind: "mla"}, "CN", map[string]int64{"DE": 2},
			model.Pending, nil, []model.Excluded{{State: "DE", Subjects: 2, Reason: "subjects-third-state"}}, []string{"DE"}},
		{"agreement: parties from the registry", model.Basis{Kind: "agreement", Agreement: "fr-us"}, "US", map[string]int64{"US": 1, "FR": 1, "BE": 4},
			model.Allow, map[string]int64{"US": 1, "FR": 1}, []model.Excluded{{State: "BE", Subjects: 4, Reason: "subjects-third-state"}}, nil},
		{"agreement: data located in a third state", model.Basis{Kind: "agreement", Agreement: "fr-us"}, "BE", map[string]int64{"US": 1},
			model.Pending, nil, []model.Excluded{{State: "BE", Reason: "location-third-state"}}, []string{"BE"}},
		{"no mla or agreement: nothing excluded", model.Basis{Kind: "consent"}, "CN", map[string]int64{"CN": 3, "DE": 2},
			model.Allow, map[string]int64{"CN": 3, "DE": 2}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request()
			req.Requester = fr
			req.Basis = tt.basis
			req.Data.Location, req.Data.Subjects = tt.location, tt.subjects
			eng := &fixedEngine{outcome: model.Allow}
			d := New(eng, WithThirdStateExclusion(parties{"fr-us": {"FR", "US"}}))
			dec, err := d.Check(context.Background(), req, false)
			if err != nil {
				t.Fatal(err)
			}
			if dec.Outcome != tt.outcome {
				t.Errorf("outcome = %s, want %s", dec.Outcome, tt.outcome)
			}
			if got := eng.got.Request.Data.Subjects; !reflect.DeepEqual(got, tt.seen) {
				t.Errorf("packs saw subjects %v, want %v", got, tt.seen)
			}
			if !reflect.DeepEqual(dec.Excluded, tt.excluded) {
				t.Errorf("excluded = %+v, want %+v", dec.Excluded, tt.excluded)
			}
			var pending []string
			for _, q := range dec.Requires {
				pending = append(pending, q.AuthorizationFrom)
			}
			if !reflect.DeepEqual(pending, tt.pendingOn) {
				t.Errorf("pending on %v, want %v", pending, tt.pendingOn)
			}
			if req.Data.Subjects[tt.location] != tt.subjects[tt.location] || len(req.Data.Subjects) != len(tt.subjects) {
				t.Error("the caller's request was changed")
			}
		})
	}
}
