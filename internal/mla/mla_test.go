package mla

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/model"
)

var (
	frBEPI   = model.Principal{ID: "fr-bepi", Kind: model.KindStateAuthority, Role: "central-authority", Jurisdiction: "FR"}
	frPolice = model.Principal{ID: "fr-ofac", Kind: model.KindStateAuthority, Role: "law-enforcement", Jurisdiction: "FR"}
	cnMOJ    = model.Principal{ID: "cn-moj", Kind: model.KindStateAuthority, Role: "central-authority", Jurisdiction: "CN"}
	cnMPS    = model.Principal{ID: "cn-mps", Kind: model.KindStateAuthority, Role: "law-enforcement", Jurisdiction: "CN"}
	deBfJ    = model.Principal{ID: "de-bfj", Kind: model.KindStateAuthority, Role: "central-authority", Jurisdiction: "DE"}
	mailco   = model.Principal{ID: "mailco-cn", Kind: model.KindCompany, Jurisdiction: "CN"}
	otherco  = model.Principal{ID: "otherco", Kind: model.KindCompany, Jurisdiction: "CN"}
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func spec() OpenSpec {
	return OpenSpec{
		ID:             "MLA-2026-0042",
		RequestedState: "CN",
		Agreement:      "cn-fr-mla-2005",
		Grantee:        "fr-ofac",
		Provider:       "mailco-cn",
		Scope: authz.Scope{
			Selectors:  &authz.SelectorScope{Kind: model.SelectorSpecific, Count: 5},
			Purposes:   []string{"law-enforcement"},
			Categories: []string{"personal.contact", "personal.communications"},
			MaxRecords: 1000,
		},
	}
}

// request is the provider's request executing the case.
func request(subjects map[string]int64) *model.Request {
	return &model.Request{
		Action:     model.ActionDisclose,
		Requester:  mailco,
		OnBehalfOf: &model.Principal{ID: "fr-ofac", Kind: model.KindStateAuthority, Role: "law-enforcement", Jurisdiction: "FR"},
		Data: model.Data{
			Location:   "CN",
			Categories: []string{"personal.contact"},
			Subjects:   subjects,
			Records:    40,
		},
		Destination: "FR",
		Purpose:     model.PurposeLawEnforcement,
		Selectors:   model.Selectors{Kind: model.SelectorSpecific, Count: 3},
		Basis:       model.Basis{Kind: "mla", Ref: "MLA-2026-0042", Agreement: "cn-fr-mla-2005"},
		Time:        t0.Add(5 * day),
	}
}

// recorder is an Appender that keeps events, and fails when told to.
type recorder struct {
	events []Event
	fail   int // fail this many appends from now
}

func (r *recorder) Append(_ context.Context, kind string, summary map[string]any) (uint64, error) {
	if r.fail > 0 {
		r.fail--
		return 0, errors.New("log unavailable")
	}
	r.events = append(r.events, Event{Kind: kind, Summary: summary})
	return uint64(len(r.events) - 1), nil
}

func (r *recorder) kinds() []string {
	var out []string
	for _, e := range r.events {
		out = append(out, e.Kind)
	}
	return out
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func service() (*Service, *recorder, *clock) {
	rec := &recorder{}
	clk := &clock{t: t0}
	return &Service{
		Cases:     &MemoryCases{},
		Log:       rec,
		Deadlines: Deadlines{ByAgreement: map[string]Terms{"eu-e-evidence": EEvidenceProductionOrder}},
		Now:       clk.now,
	}, rec, clk
}

func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("accord mla test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	s, rec, clk := service()
	c, err := s.Open(ctx, frPolice, spec())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if c.RequestingState != "FR" || c.AnswerBy != t0.Add(30*day) || c.Version != 2 {
		t.Errorf("opened %+v", c)
	}
	clk.t = t0.Add(day)
	if _, err := s.Receive(ctx, c.ID, cnMOJ); err != nil {
		t.Fatalf("Receive: %v", err)
	}
	clk.t = t0.Add(3 * day)
	narrow := spec().Scope
	narrow.MaxSubjects = 3
	narrow.SubjectStates = []string{"CN", "FR"}
	narrow.Categories = []string{"personal.contact"}
	c, err = s.Narrow(ctx, c.ID, cnMOJ, narrow)
	if err != nil {
		t.Fatalf("Narrow: %v", err)
	}
	if c.State != Narrowed || c.ExecuteBy != t0.Add(93*day) {
		t.Errorf("narrowed %+v", c)
	}

	// The case yields an authorization that CN signs and that covers the
	// provider's request, which also holds a German subject (excluded).
	st, err := c.Authorization()
	if err != nil {
		t.Fatalf("Authorization: %v", err)
	}
	env, err := authz.Sign(ctx, st, testKey("cn-moj"))
	if err != nil {
		t.Fatal(err)
	}
	keys := authz.KeySet{"cn-moj": {ID: "cn-moj", Jurisdiction: "CN", Role: "central-authority", PublicKey: testKey("cn-moj").Public().(ed25519.PublicKey)}}
	req := request(map[string]int64{"CN": 2, "FR": 1, "DE": 1})
	req.Basis.Authorizations = []model.Envelope{env}
	authorized, findings, err := authz.Evaluate(req.Basis.Authorizations, req, keys, nil, req.Time)
	if err != nil || !slices.Equal(authorized, []string{"CN"}) {
		t.Fatalf("Evaluate = %v %+v %v", authorized, findings, err)
	}

	clk.t = req.Time
	c, err = s.Execute(ctx, c.ID, mailco, req, authorized, "dec-1")
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	want := &Execution{Decision: "dec-1", Subjects: map[string]int64{"CN": 2, "FR": 1}, Records: 40,
		Excluded: []Excluded{{State: "DE", Subjects: 1, Reason: ReasonSubjectsNotParty}}}
	if got, _ := json.Marshal(c.Execution); string(got) != mustJSON(want) {
		t.Errorf("execution %s, want %s", got, mustJSON(want))
	}
	if _, err := s.Execute(ctx, c.ID, mailco, req, authorized, "dec-2"); !errors.Is(err, ErrState) {
		t.Errorf("second execution: %v, want ErrState", err)
	}
	clk.t = req.Time.Add(time.Hour)
	c, err = s.Close(ctx, c.ID, cnMOJ)
	if err != nil {
		t.Fatalf("Close: %v", err)
	}

	wantKinds := []string{"mla.opened", "mla.received", "mla.narrowed", "mla.executed", "mla.closed"}
	if !slices.Equal(rec.kinds(), wantKinds) {
		t.Errorf("logged %v, want %v", rec.kinds(), wantKinds)
	}
	for i, st := range c.History {
		if st.LogIndex == nil || *st.LogIndex != uint64(i) {
			t.Errorf("step %d (%s) log index %v", i, st.To, st.LogIndex)
		}
	}
	// Events hold ids, codes, counts and times: check the executed one.
	ex := rec.events[3].Summary
	if ex["case"] != "MLA-2026-0042" || ex["by"] != "mailco-cn" || ex["decision"] != "dec-1" || ex["records"] != int64(40) {
		t.Errorf("executed event %v", ex)
	}
	if got := mustJSON(ex["excluded"]); got != `[{"reason":"subjects-third-state","state":"DE","subjects":1}]` {
		t.Errorf("excluded in event: %s", got)
	}
	stored, _ := s.Get(ctx, c.ID)
	if stored.State != Closed || stored.Version != c.Version {
		t.Errorf("stored %s v%d, returned v%d", stored.State, stored.Version, c.Version)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// opened returns a case in the given state, moved there by the right
// actors.
func opened(t *testing.T, to State) *Case {
	t.Helper()
	c, _, err := Open(spec(), frPolice, t0, DefaultTerms)
	if err != nil {
		t.Fatal(err)
	}
	steps := map[State][]func() error{
		Opened:   nil,
		Received: {func() error { _, err := c.Receive(cnMOJ, t0); return err }},
	}
	steps[Accepted] = append(slices.Clone(steps[Received]), func() error { _, err := c.Accept(cnMOJ, t0); return err })
	steps[Refused] = append(slices.Clone(steps[Received]), func() error { _, err := c.Refuse(cnMOJ, t0, "dual-criminality"); return err })
	steps[Executed] = append(slices.Clone(steps[Accepted]), func() error {
		req := request(map[string]int64{"CN": 1})
		_, err := c.Execute(mailco, t0, req, Exclude(req, c.Parties(), []string{"CN"}), "")
		return err
	})
	for _, f := range steps[to] {
		if err := f(); err != nil {
			t.Fatalf("moving to %s: %v", to, err)
		}
	}
	return c
}

func TestTransitionChecks(t *testing.T) {
	narrowWide := spec().Scope
	narrowWide.MaxRecords = 5000
	tests := []struct {
		name string
		from State
		move func(c *Case) error
		want error
		text string
	}{
		{"receive by a law-enforcement authority of the requested state", Opened,
			func(c *Case) error { _, err := c.Receive(cnMPS, t0); return err }, ErrForbidden, "only a central authority of CN may receive it"},
		{"receive by another state's central authority", Opened,
			func(c *Case) error { _, err := c.Receive(deBfJ, t0); return err }, ErrForbidden, "de-bfj is state-authority/central-authority of DE"},
		{"receive by the requesting state", Opened,
			func(c *Case) error { _, err := c.Receive(frBEPI, t0); return err }, ErrForbidden, ""},
		{"accept before receipt", Opened,
			func(c *Case) error { _, err := c.Accept(cnMOJ, t0); return err }, ErrState, "case MLA-2026-0042 is opened; cannot accept it"},
		{"receive twice", Received,
			func(c *Case) error { _, err := c.Receive(cnMOJ, t0); return err }, ErrState, ""},
		{"narrow to more than requested", Received,
			func(c *Case) error { _, err := c.Narrow(cnMOJ, t0, narrowWide); return err }, ErrBeyondScope, "5000 records, where 1000 were requested"},
		{"refuse on an unknown ground", Received,
			func(c *Case) error { _, err := c.Refuse(cnMOJ, t0, "because"); return err }, ErrInvalid, ""},
		{"execute by another company", Accepted,
			func(c *Case) error {
				req := request(map[string]int64{"CN": 1})
				_, err := c.Execute(otherco, t0, req, Exclude(req, c.Parties(), nil), "")
				return err
			}, ErrForbidden, "only the provider mailco-cn may execute it, not otherco"},
		{"execute a refused case", Refused,
			func(c *Case) error {
				req := request(map[string]int64{"CN": 1})
				_, err := c.Execute(mailco, t0, req, Exclude(req, c.Parties(), nil), "")
				return err
			}, ErrState, ""},
		{"execute before acceptance", Received,
			func(c *Case) error {
				req := request(map[string]int64{"CN": 1})
				_, err := c.Execute(mailco, t0, req, Exclude(req, c.Parties(), nil), "")
				return err
			}, ErrState, ""},
		{"execute under another case", Accepted,
			func(c *Case) error {
				req := request(map[string]int64{"CN": 1})
				req.Basis.Ref = "MLA-2026-0001"
				_, err := c.Execute(mailco, t0, req, Exclude(req, c.Parties(), nil), "")
				return err
			}, ErrInvalid, ""},
		{"execute on data located elsewhere", Accepted,
			func(c *Case) error {
				req := request(map[string]int64{"CN": 1})
				req.Data.Location = "SG"
				_, err := c.Execute(mailco, t0, req, Exclude(req, c.Parties(), nil), "")
				return err
			}, ErrBeyondScope, "located in CN, the request's is in SG"},
		{"execute after the authorization lapsed", Accepted,
			func(c *Case) error {
				req := request(map[string]int64{"CN": 1})
				_, err := c.Execute(mailco, c.ValidTo, req, Exclude(req, c.Parties(), nil), "")
				return err
			}, ErrState, "lapsed"},
		{"requested state closes before execution", Accepted,
			func(c *Case) error { _, err := c.Close(cnMOJ, t0); return err }, ErrState, ""},
		{"a third party closes", Executed,
			func(c *Case) error { _, err := c.Close(deBfJ, t0); return err }, ErrForbidden, ""},
		{"close twice", Executed,
			func(c *Case) error {
				if _, err := c.Close(cnMOJ, t0); err != nil {
					return err
				}
				_, err := c.Close(frPolice, t0)
				return err
			}, ErrState, "already closed"},
		{"requesting authority withdraws", Received,
			func(c *Case) error { _, err := c.Close(frPolice, t0); return err }, nil, ""},
		{"requested state closes a refused case", Refused,
			func(c *Case) error { _, err := c.Close(cnMOJ, t0); return err }, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := opened(t, tt.from)
			before := mustJSON(c)
			err := tt.move(c)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if c.State != Closed {
					t.Errorf("state %s", c.State)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if tt.text != "" && !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q does not say %q", err, tt.text)
			}
			if tt.name != "close twice" && mustJSON(c) != before {
				t.Errorf("a refused transition changed the case")
			}
		})
	}
}

func TestOpenChecks(t *testing.T) {
	company := model.Principal{ID: "acme", Kind: model.KindCompany, Jurisdiction: "FR"}
	regulator := model.Principal{ID: "fr-cnil", Kind: model.KindStateAuthority, Role: "data-protection", Jurisdiction: "FR"}
	commercial := spec()
	commercial.Scope.Purposes = []string{"commercial"}
	own := spec()
	own.RequestedState = "FR"
	noProvider := spec()
	noProvider.Provider = ""
	badID := spec()
	badID.ID = "MLA 42"
	tests := []struct {
		name string
		by   model.Principal
		spec OpenSpec
		want error
	}{
		{"a company", company, spec(), ErrForbidden},
		{"a regulator", regulator, spec(), ErrForbidden},
		{"commercial purpose", frPolice, commercial, ErrInvalid},
		{"own state", frPolice, own, ErrInvalid},
		{"no provider", frPolice, noProvider, ErrInvalid},
		{"id with a space", frPolice, badID, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := Open(tt.spec, tt.by, t0, DefaultTerms); !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
}

type parties map[string][]string

func (p parties) AgreementParties(id string) []string { return p[id] }

func TestOpenChecksAgreement(t *testing.T) {
	s, rec, _ := service()
	s.Agreements = parties{"cn-fr-mla-2005": {"CN", "FR"}, "fr-us-mlat-1998": {"FR", "US"}}
	sp := spec()
	sp.Agreement = "fr-us-mlat-1998"
	if _, err := s.Open(context.Background(), frPolice, sp); !errors.Is(err, ErrInvalid) {
		t.Errorf("opened against CN under the FR-US treaty: %v", err)
	}
	if _, err := s.Open(context.Background(), frPolice, spec()); err != nil {
		t.Errorf("Open: %v", err)
	}
	if _, err := s.Open(context.Background(), frPolice, spec()); !errors.Is(err, ErrExists) {
		t.Errorf("second open with the same id: %v", err)
	}
	if len(rec.events) != 1 {
		t.Errorf("%d events logged, want 1", len(rec.events))
	}
}

// TestNarrowedExecutedBeyond: a case narrowed to 3 subjects of CN cannot be
// executed for 5, nor for another category; German subjects are excluded
// rather than counted.
func TestNarrowedExecutedBeyond(t *testing.T) {
	c := opened(t, Received)
	narrow := spec().Scope
	narrow.MaxSubjects = 3
	narrow.SubjectStates = []string{"CN"}
	narrow.Categories = []string{"personal.contact"}
	if _, err := c.Narrow(cnMOJ, t0, narrow); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		subjects map[string]int64
		cats     []string
		want     string
	}{
		{"five subjects", map[string]int64{"CN": 5}, nil, "case MLA-2026-0042 was narrowed to a scope the execution exceeds: covers 3 subjects of CN, request has 5"},
		{"another category", map[string]int64{"CN": 2}, []string{"personal.communications"}, "covers categories personal.contact, not personal.communications"},
		{"within, with third-state subjects", map[string]int64{"CN": 3, "DE": 4}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *c
			c.History = slices.Clone(c.History)
			req := request(tt.subjects)
			if tt.cats != nil {
				req.Data.Categories = tt.cats
			}
			_, err := c.Execute(mailco, t0, req, Exclude(req, c.Parties(), []string{"CN"}), "dec-9")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Execute: %v", err)
				}
				if c.Execution.Subjects["DE"] != 0 || c.Execution.Excluded[0] != (Excluded{State: "DE", Subjects: 4, Reason: ReasonSubjectsNotParty}) {
					t.Errorf("execution %+v", c.Execution)
				}
				return
			}
			if !errors.Is(err, ErrBeyondScope) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrBeyondScope saying %q", err, tt.want)
			}
		})
	}
}

func TestExclude(t *testing.T) {
	tests := []struct {
		name       string
		location   string
		subjects   map[string]int64
		parties    []string
		authorized []string
		want       Exclusion
	}{
		{"all parties", "CN", map[string]int64{"CN": 3, "FR": 1}, []string{"CN", "FR"}, nil,
			Exclusion{Kept: map[string]int64{"CN": 3, "FR": 1}}},
		{"third state excluded", "CN", map[string]int64{"CN": 3, "DE": 2, "BE": 1}, []string{"CN", "FR"}, nil,
			Exclusion{Kept: map[string]int64{"CN": 3}, Excluded: []Excluded{{State: "BE", Subjects: 1, Reason: ReasonSubjectsNotParty}, {State: "DE", Subjects: 2, Reason: ReasonSubjectsNotParty}}}},
		{"third state that authorized is kept", "CN", map[string]int64{"CN": 3, "DE": 2}, []string{"CN", "FR"}, []string{"DE"},
			Exclusion{Kept: map[string]int64{"CN": 3, "DE": 2}}},
		{"only third-state subjects", "CN", map[string]int64{"DE": 2, "BE": 1}, []string{"CN", "FR"}, nil,
			Exclusion{Excluded: []Excluded{{State: "BE", Subjects: 1, Reason: ReasonSubjectsNotParty}, {State: "DE", Subjects: 2, Reason: ReasonSubjectsNotParty}}, OnlyThirdState: true, PendingOn: []string{"BE", "DE"}}},
		{"data located in a third state", "SG", map[string]int64{"CN": 3}, []string{"CN", "US"}, nil,
			Exclusion{Kept: map[string]int64{"CN": 3}, Excluded: []Excluded{{State: "SG", Subjects: 0, Reason: ReasonLocationNotParty}}, OnlyThirdState: true, PendingOn: []string{"SG"}}},
		{"zero counts ignored", "CN", map[string]int64{"CN": 1, "DE": 0}, []string{"CN", "FR"}, nil,
			Exclusion{Kept: map[string]int64{"CN": 1}}},
		{"no subjects at all", "CN", nil, []string{"CN", "FR"}, nil, Exclusion{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request(tt.subjects)
			req.Data.Location = tt.location
			got := Exclude(req, tt.parties, tt.authorized)
			if mustJSON(got) != mustJSON(tt.want) {
				t.Errorf("Exclude\n got %s\nwant %s", mustJSON(got), mustJSON(tt.want))
			}
			kept := got.Apply(req)
			if got.OnlyThirdState && kept.Data.Subjects != nil {
				t.Errorf("Apply kept %v of third-state-only data", kept.Data.Subjects)
			}
			if req.Data.Subjects != nil && len(req.Data.Subjects) != len(tt.subjects) {
				t.Error("Apply changed the original request")
			}
		})
	}
	x := Exclude(request(map[string]int64{"CN": 1, "DE": 2}), []string{"CN", "FR"}, nil)
	rs := x.Reasons([]string{"CN", "FR"})
	if len(rs) != 1 || rs[0].Message != "2 subjects of DE excluded: DE is not a party (CN, FR) and has not authorized" || rs[0].Effect != model.EffectObligate {
		t.Errorf("Reasons = %+v", rs)
	}
	if x.Requirements() != nil {
		t.Errorf("Requirements for a partly excluded request")
	}
	only := Exclude(request(map[string]int64{"DE": 2}), []string{"CN", "FR"}, nil)
	if rq := only.Requirements(); len(rq) != 1 || rq[0].AuthorizationFrom != "DE" {
		t.Errorf("Requirements = %+v", rq)
	}
}

func TestOverdue(t *testing.T) {
	ctx := context.Background()
	s, _, clk := service()
	ee := spec()
	ee.ID, ee.Agreement = "EPOC-1", "eu-e-evidence"
	if _, err := s.Open(ctx, frPolice, ee); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, frPolice, spec()); err != nil {
		t.Fatal(err)
	}
	// The e-Evidence order is due 10 days after opening: not at the last
	// nanosecond before, overdue at the deadline itself.
	due := t0.Add(10 * day)
	if got, _ := s.Overdue(ctx, due.Add(-time.Nanosecond)); len(got) != 0 {
		t.Errorf("overdue before the deadline: %+v", got)
	}
	got, err := s.Overdue(ctx, due)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Case != "EPOC-1" || got[0].Deadline != DeadlineAnswer || got[0].Waiting != "CN" || got[0].Late != 0 {
		t.Errorf("Overdue = %+v", got)
	}
	// Accepted on day 11: now the provider has 10 days to execute.
	clk.t = t0.Add(11 * day)
	if _, err := s.Receive(ctx, "EPOC-1", cnMOJ); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Accept(ctx, "EPOC-1", cnMOJ); err != nil {
		t.Fatal(err)
	}
	summary := func(at time.Time) []string {
		got, err := s.Overdue(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range got {
			out = append(out, fmt.Sprintf("%s %s on %s late %s", o.Case, o.Deadline, o.Waiting, o.Late))
		}
		return out
	}
	if got, want := summary(t0.Add(21*day)), []string{"EPOC-1 execution on mailco-cn late 0s"}; !slices.Equal(got, want) {
		t.Errorf("Overdue at day 21 = %q, want %q", got, want)
	}
	want := []string{"EPOC-1 execution on mailco-cn late 240h0m0s", "MLA-2026-0042 answer on CN late 24h0m0s"}
	if got := summary(t0.Add(31 * day)); !slices.Equal(got, want) {
		t.Errorf("Overdue at day 31 = %q, want %q", got, want)
	}
}

func TestLogFailureIsRetried(t *testing.T) {
	ctx := context.Background()
	s, rec, _ := service()
	if _, err := s.Open(ctx, frPolice, spec()); err != nil {
		t.Fatal(err)
	}
	rec.fail = 1
	if _, err := s.Receive(ctx, "MLA-2026-0042", cnMOJ); err == nil {
		t.Fatal("Receive reported success although the log failed")
	}
	c, _ := s.Get(ctx, "MLA-2026-0042")
	if c.State != Received || c.History[1].LogIndex != nil {
		t.Fatalf("after a failed append: state %s, index %v", c.State, c.History[1].LogIndex)
	}
	// The next transition logs the pending step first, in order.
	c, err := s.Accept(ctx, "MLA-2026-0042", cnMOJ)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.kinds(), []string{"mla.opened", "mla.received", "mla.accepted"}) {
		t.Errorf("logged %v", rec.kinds())
	}
	if *c.History[1].LogIndex != 1 || *c.History[2].LogIndex != 2 {
		t.Errorf("indexes %d %d", *c.History[1].LogIndex, *c.History[2].LogIndex)
	}
}

func TestDeadlinesValidate(t *testing.T) {
	if err := (Deadlines{ByAgreement: map[string]Terms{"x": {Answer: day}}}).Validate(); err == nil {
		t.Error("accepted zero durations")
	}
	d := Deadlines{ByAgreement: map[string]Terms{"eu-e-evidence": EEvidenceProductionOrder}}
	if err := d.Validate(); err != nil {
		t.Error(err)
	}
	if d.For("eu-e-evidence") != EEvidenceProductionOrder || d.For("") != DefaultTerms || d.For("other") != DefaultTerms {
		t.Error("For picks the wrong terms")
	}
}

func TestCaseStores(t *testing.T) {
	stores := map[string]Cases{"memory": &MemoryCases{}, "dir": DirCases{Dir: t.TempDir()}}
	for name, store := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if _, err := store.Get(ctx, "MLA-1"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get missing: %v", err)
			}
			c := &Case{ID: "MLA-1", Version: 1, State: Opened}
			if err := store.Put(ctx, c); err != nil {
				t.Fatal(err)
			}
			if err := store.Put(ctx, &Case{ID: "MLA-1", Version: 1}); !errors.Is(err, ErrExists) {
				t.Errorf("Put existing: %v", err)
			}
			a, _ := store.Get(ctx, "MLA-1")
			b, _ := store.Get(ctx, "MLA-1")
			a.Version++
			a.State = Received
			if err := store.Put(ctx, a); err != nil {
				t.Fatal(err)
			}
			b.Version++
			b.State = Closed
			if err := store.Put(ctx, b); !errors.Is(err, ErrConflict) {
				t.Errorf("stale Put: %v", err)
			}
			if err := store.Put(ctx, &Case{ID: "MLA/2", Version: 1}); err != nil {
				t.Fatal(err)
			}
			list, err := store.List(ctx)
			if err != nil || len(list) != 2 || list[0].ID != "MLA-1" || list[0].State != Received || list[1].ID != "MLA/2" {
				t.Errorf("List = %+v, %v", list, err)
			}
		})
	}
}

func BenchmarkExclude(b *testing.B) {
	req := request(map[string]int64{"CN": 3, "FR": 1, "DE": 2, "BE": 1, "US": 4})
	parties := []string{"CN", "FR"}
	b.ReportAllocs()
	for b.Loop() {
		if x := Exclude(req, parties, []string{"US"}); len(x.Excluded) != 2 {
			b.Fatal(x)
		}
	}
}

func BenchmarkLifecycle(b *testing.B) {
	ctx := context.Background()
	narrow := spec().Scope
	narrow.MaxSubjects = 3
	narrow.SubjectStates = []string{"CN"}
	req := request(map[string]int64{"CN": 2, "DE": 1})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s, _, _ := service()
		sp := spec()
		sp.ID = fmt.Sprintf("MLA-%d", i)
		req.Basis.Ref = sp.ID
		if _, err := s.Open(ctx, frPolice, sp); err != nil {
			b.Fatal(err)
		}
		for _, err := range []error{
			second(s.Receive(ctx, sp.ID, cnMOJ)),
			second(s.Narrow(ctx, sp.ID, cnMOJ, narrow)),
			second(s.Execute(ctx, sp.ID, mailco, req, []string{"CN"}, "")),
			second(s.Close(ctx, sp.ID, cnMOJ)),
		} {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func second[T any](_ T, err error) error { return err }

// TestConcurrentTransitions: of several central authorities racing to
// answer the same case, exactly one wins; the others get ErrConflict or
// ErrState, and the log shows one answer.
func TestConcurrentTransitions(t *testing.T) {
	for _, name := range []string{"memory", "dir"} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, rec, _ := service()
			if name == "dir" {
				s.Cases = DirCases{Dir: t.TempDir()}
			}
			var mu sync.Mutex
			s.Log = appenderFunc(func(ctx context.Context, kind string, summary map[string]any) (uint64, error) {
				mu.Lock()
				defer mu.Unlock()
				return rec.Append(ctx, kind, summary)
			})
			if _, err := s.Open(ctx, frPolice, spec()); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Receive(ctx, "MLA-2026-0042", cnMOJ); err != nil {
				t.Fatal(err)
			}
			const n = 8
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var err error
					if i%2 == 0 {
						_, err = s.Accept(ctx, "MLA-2026-0042", cnMOJ)
					} else {
						_, err = s.Refuse(ctx, "MLA-2026-0042", cnMOJ, "other")
					}
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			wins := 0
			for err := range errs {
				switch {
				case err == nil:
					wins++
				case errors.Is(err, ErrConflict), errors.Is(err, ErrState):
				default:
					t.Errorf("unexpected error %v", err)
				}
			}
			answers := 0
			for _, k := range rec.kinds() {
				if k == "mla.accepted" || k == "mla.refused" {
					answers++
				}
			}
			if wins != 1 || answers != 1 {
				t.Errorf("%d transitions won, %d answers logged; want 1 and 1", wins, answers)
			}
		})
	}
}

type appenderFunc func(ctx context.Context, kind string, summary map[string]any) (uint64, error)

func (f appenderFunc) Append(ctx context.Context, kind string, summary map[string]any) (uint64, error) {
	return f(ctx, kind, summary)
}

// TestUnloggedStepBlocks: while another writer may still be appending a
// step, the case does not move; after LogGrace the step is taken over.
func TestUnloggedStepBlocks(t *testing.T) {
	ctx := context.Background()
	s, rec, clk := service()
	if _, err := s.Open(ctx, frPolice, spec()); err != nil {
		t.Fatal(err)
	}
	// As if a writer stored "opened" and has not appended it yet.
	c, _ := s.Get(ctx, "MLA-2026-0042")
	c.History[0].LogIndex = nil
	c.History[0].LogAttempt = t0
	c.Version++
	if err := s.Cases.Put(ctx, c); err != nil {
		t.Fatal(err)
	}
	clk.t = t0.Add(LogGrace - time.Second)
	if _, err := s.Receive(ctx, "MLA-2026-0042", cnMOJ); !errors.Is(err, ErrBusy) || !errors.Is(err, ErrConflict) {
		t.Fatalf("Receive within the grace period: %v, want ErrBusy", err)
	}
	clk.t = t0.Add(LogGrace)
	c, err := s.Receive(ctx, "MLA-2026-0042", cnMOJ)
	if err != nil {
		t.Fatalf("Receive after the grace period: %v", err)
	}
	if got := rec.kinds(); !slices.Equal(got, []string{"mla.opened", "mla.opened", "mla.received"}) {
		t.Errorf("logged %v", got)
	}
	if *c.History[0].LogIndex != 1 || *c.History[1].LogIndex != 2 {
		t.Errorf("indexes %d %d", *c.History[0].LogIndex, *c.History[1].LogIndex)
	}
}

// TestApplyCountsPerCategory: the disclosed copy keeps the per-category
// counts of the kept states only, and leaves the original alone.
func TestApplyCountsPerCategory(t *testing.T) {
	req := request(map[string]int64{"CN": 30, "DE": 2})
	req.Data.Location = "CN"
	req.Data.Categories = []string{"personal.health", "personal.contact"}
	req.Data.SubjectsByCategory = map[string]map[string]int64{"personal.health": {"CN": 9, "DE": 2}}
	kept := Exclude(req, []string{"CN", "FR"}, nil).Apply(req)
	if got := mustJSON(kept.Data.SubjectsByCategory); got != `{"personal.health":{"CN":9}}` {
		t.Errorf("kept per-category counts %s", got)
	}
	if len(req.Data.SubjectsByCategory["personal.health"]) != 2 {
		t.Error("Apply changed the original request")
	}
	only := request(map[string]int64{"DE": 2})
	only.Data.Location = "CN"
	only.Data.SubjectsByCategory = map[string]map[string]int64{"personal.health": {"DE": 2}}
	if kept := Exclude(only, []string{"CN", "FR"}, nil).Apply(only); kept.Data.SubjectsByCategory != nil {
		t.Errorf("Apply kept %v of third-state-only data", kept.Data.SubjectsByCategory)
	}
}
