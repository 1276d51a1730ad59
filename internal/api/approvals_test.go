package api_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/approval"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// approvalLog is a log in memory for approval entries.
type approvalLog struct {
	mu      sync.Mutex
	entries []ledger.Entry
}

func (l *approvalLog) Append(_ context.Context, e ledger.Entry) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := e.Validate(); err != nil {
		return 0, err
	}
	l.entries = append(l.entries, e)
	return uint64(len(l.entries) - 1), nil
}

func (l *approvalLog) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// approvalEnv is a server with approvals: dataset firmware-fr is held by
// globex; acme (the requester token) is a vendor asking for it.
type approvalEnv struct {
	*env
	svc *approval.Service
	log *approvalLog
	mu  sync.Mutex
	now time.Time
}

func (a *approvalEnv) clock() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.now
}

func (a *approvalEnv) advance(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.now = a.now.Add(d)
}

func newApprovalEnv(t *testing.T) *approvalEnv {
	t.Helper()
	a := &approvalEnv{log: &approvalLog{}, now: time.Now().UTC().Truncate(time.Second)}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	a.env = newEnv(t, func(cfg *api.Config) {
		as := cfg.Store.(store.Approvals)
		svc, err := approval.New(approval.Config{Store: as, Catalog: cfg.Store, Log: a.log, Key: key,
			Measures: func() map[string][]string {
				return map[string][]string{"customer-approval": {"gdsi-7-vendor-maintenance"}}
			},
			Now: a.clock})
		if err != nil {
			t.Fatal(err)
		}
		a.svc = svc
		cfg.Approvals = &api.Approvals{Service: svc}
	})
	ctx := context.Background()
	if err := a.st.CreateDataset(ctx, store.Dataset{ID: "firmware-fr", Location: "FR", Categories: []string{"technical"}, Holder: "globex"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, pr := range []struct{ principal, role string }{{"globex", store.RoleApprover}, {"acme", store.RoleApprover}, {"dgsi", store.RoleApprover}} {
		a.tokens[pr.principal+"/"+pr.role] = a.token(pr.principal, pr.role, now, 0)
	}
	return a
}

// decision records a binding decision of acme on firmware-fr, waiting
// on customer-approval (outcome deny: a forced upgrade), and returns it.
func (a *approvalEnv) decision(t *testing.T, id string, index uint64, principal string) (*model.Request, *model.Decision) {
	t.Helper()
	req := &model.Request{Action: "modify", Purpose: "maintenance",
		Requester: model.Principal{ID: principal, Kind: model.KindCompany, Role: "vendor", Jurisdiction: "FR"},
		Data:      model.Data{Dataset: "firmware-fr", Location: "FR", Categories: []string{"technical"}}}
	dec := &model.Decision{ID: id, Outcome: model.Deny, Binding: true, LogIndex: &index, Time: a.clock(),
		Reasons: []model.Reason{{Rule: "gdsi-7-vendor-maintenance", Pack: "gdsi", Effect: model.EffectRequire}, {Rule: "gdsi-8-forced-upgrade", Pack: "gdsi", Effect: model.EffectDeny}}}
	private, _ := json.Marshal(map[string]any{"request": req, "decision": dec})
	if err := a.st.RecordDecision(context.Background(), store.DecisionRecord{ID: id, LogIndex: index, Principal: principal, Outcome: dec.Outcome,
		Private: private, Salt: make([]byte, 32), Created: dec.Time}, nil); err != nil {
		t.Fatal(err)
	}
	return req, dec
}

func (a *approvalEnv) ask(t *testing.T) *approval.Request {
	t.Helper()
	ans := a.do(call{method: "POST", path: "/v1/approvals", token: a.tokens[store.RoleRequester], body: `{"decision":"dec-1","duration_seconds":7200}`})
	if ans.status != http.StatusCreated {
		t.Fatalf("ask: %d %s", ans.status, ans.body)
	}
	var r approval.Request
	if err := json.Unmarshal(ans.body, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// TestApprovalsAsk: a requester asks the holder for its own decision; a
// second ask finds the open request; another requester's decision, an
// unknown one or a body naming more than the decision are refused.
func TestApprovalsAsk(t *testing.T) {
	a := newApprovalEnv(t)
	a.decision(t, "dec-1", 41, "acme")
	a.decision(t, "dec-2", 42, "globex")
	r := a.ask(t)
	if r.Status != approval.StatusPending || r.Holder != "globex" || r.Requester != "acme" || r.RequestedSeconds != 7200 || r.DecisionIndex != 41 {
		t.Errorf("asked %+v", r)
	}
	again := a.do(call{method: "POST", path: "/v1/approvals", token: a.tokens[store.RoleRequester], body: `{"decision":"dec-1"}`})
	if again.status != http.StatusOK || !strings.Contains(string(again.body), r.ID) {
		t.Errorf("asking again: %d %s, want 200 with %s", again.status, again.body, r.ID)
	}
	for _, tc := range []struct {
		name, token, body string
		status            int
		field             string
		invalid           bool
	}{
		{"another requester's decision", a.tokens[store.RoleRequester], `{"decision":"dec-2"}`, http.StatusConflict, "decision", false},
		{"an unknown decision", a.tokens[store.RoleRequester], `{"decision":"dec-nope"}`, http.StatusConflict, "decision", false},
		{"no decision", a.tokens[store.RoleRequester], `{}`, http.StatusBadRequest, "decision", true},
		{"naming the holder", a.tokens[store.RoleRequester], `{"decision":"dec-1","holder":"acme"}`, http.StatusBadRequest, "holder", true},
		{"too long", a.tokens[store.RoleRequester], `{"decision":"dec-1","duration_seconds":99999999}`, http.StatusBadRequest, "duration_seconds", true},
		{"an approver cannot ask", a.tokens["globex/"+store.RoleApprover], `{"decision":"dec-2"}`, http.StatusForbidden, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ans := a.do(call{method: "POST", path: "/v1/approvals", token: tc.token, body: tc.body, invalid: tc.invalid})
			if ans.status != tc.status || ans.problem.Field != tc.field {
				t.Errorf("%d field %q (%s), want %d field %q", ans.status, ans.problem.Field, ans.problem.Detail, tc.status, tc.field)
			}
		})
	}
}

// TestApprovalsAnswerAttacks: only the holder's approver answers. The
// requester (whatever its token), an admin, another principal's approver,
// and the holder's requester token are refused, and nothing is logged.
func TestApprovalsAnswerAttacks(t *testing.T) {
	a := newApprovalEnv(t)
	a.decision(t, "dec-1", 41, "acme")
	r := a.ask(t)
	n := a.log.size()
	for _, tc := range []struct {
		name, token string
		status      int
	}{
		{"self-approval: the requester's own approver token", a.tokens["acme/"+store.RoleApprover], http.StatusNotFound},
		{"the requester's requester token", a.tokens[store.RoleRequester], http.StatusForbidden},
		{"the holder's requester token", a.tokens["globex/requester"], http.StatusForbidden},
		{"an admin", a.tokens[store.RoleAdmin], http.StatusForbidden},
		{"an operator", a.tokens[store.RoleOperator], http.StatusForbidden},
		{"another holder's approver", a.tokens["dgsi/"+store.RoleApprover], http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ans := a.do(call{method: "POST", path: "/v1/approvals/" + r.ID + "/approve", token: tc.token, body: `{}`})
			if ans.status != tc.status {
				t.Errorf("approve: %d (%s), want %d", ans.status, ans.problem.Detail, tc.status)
			}
		})
	}
	ans := a.do(call{method: "POST", path: "/v1/approvals/" + r.ID + "/approve", token: a.tokens["globex/"+store.RoleApprover], body: `{"approver":"globex"}`, invalid: true})
	if ans.status != http.StatusBadRequest || ans.problem.Field != "approver" {
		t.Errorf("a body naming the approver: %d %q", ans.status, ans.problem.Field)
	}
	if a.log.size() != n {
		t.Errorf("refused answers were logged: %d entries, want %d", a.log.size(), n)
	}
	if got, _ := a.svc.Get(context.Background(), r.ID); got.Status != approval.StatusPending {
		t.Errorf("after refused answers: %s", got.Status)
	}
}

// TestApprovalsApprove: the holder's approver approves with If-Match and an
// Idempotency-Key; a retry replays the answer without a second entry; a
// stale If-Match is 412; a second answer is 409; the answer verifies.
func TestApprovalsApprove(t *testing.T) {
	a := newApprovalEnv(t)
	a.decision(t, "dec-1", 41, "acme")
	r := a.ask(t)
	holder := a.tokens["globex/"+store.RoleApprover]
	got := a.do(call{method: "GET", path: "/v1/approvals/" + r.ID, token: holder})
	etag := got.header.Get("ETag")
	if got.status != http.StatusOK || etag != `"v1"` {
		t.Fatalf("get: %d %q", got.status, etag)
	}
	stale := a.do(call{method: "POST", path: "/v1/approvals/" + r.ID + "/approve", token: holder, body: `{}`, header: map[string]string{"If-Match": `"v7"`}})
	if stale.status != http.StatusPreconditionFailed {
		t.Errorf("stale If-Match: %d", stale.status)
	}
	n := a.log.size()
	hdr := map[string]string{"If-Match": etag, "Idempotency-Key": "approve-1"}
	ok := a.do(call{method: "POST", path: "/v1/approvals/" + r.ID + "/approve", token: holder, body: `{"duration_seconds":3600}`, header: hdr})
	if ok.status != http.StatusOK || ok.header.Get("ETag") != `"v2"` {
		t.Fatalf("approve: %d %s", ok.status, ok.body)
	}
	var done approval.Request
	_ = json.Unmarshal(ok.body, &done)
	if done.Status != approval.StatusApproved || done.Answer == nil || done.Answer.GrantedSeconds != 3600 || done.Answer.Approver != "globex" {
		t.Errorf("approved %+v", done)
	}
	if _, digest, err := approval.Verify(context.Background(), done.Answer.Envelope, a.svc.PublicKey()); err != nil || digest != done.Answer.Digest {
		t.Errorf("the answer does not verify: %v", err)
	}
	replay := a.do(call{method: "POST", path: "/v1/approvals/" + r.ID + "/approve", token: holder, body: `{"duration_seconds":3600}`, header: hdr})
	if replay.status != http.StatusOK || replay.header.Get("Idempotent-Replayed") != "true" || a.log.size() != n+1 {
		t.Errorf("retry: %d replayed=%q, %d entries (want %d)", replay.status, replay.header.Get("Idempotent-Replayed"), a.log.size(), n+1)
	}
	for _, verb := range []string{"approve", "deny"} {
		again := a.do(call{method: "POST", path: "/v1/approvals/" + r.ID + "/" + verb, token: holder, body: `{}`})
		if again.status != http.StatusConflict {
			t.Errorf("%s after approval: %d", verb, again.status)
		}
	}
}

// TestApprovalsLapse: a request not answered within 12 hours lapses and
// can no longer be approved.
func TestApprovalsLapse(t *testing.T) {
	a := newApprovalEnv(t)
	a.decision(t, "dec-1", 41, "acme")
	r := a.ask(t)
	a.advance(approval.LapseAfter)
	ans := a.do(call{method: "POST", path: "/v1/approvals/" + r.ID + "/approve", token: a.tokens["globex/"+store.RoleApprover], body: `{}`})
	if ans.status != http.StatusConflict || !strings.Contains(ans.problem.Detail, "lapsed") {
		t.Errorf("approving a lapsed request: %d %s", ans.status, ans.problem.Detail)
	}
	list := a.do(call{method: "GET", path: "/v1/approvals?status=lapsed", token: a.tokens[store.RoleRequester]})
	if !strings.Contains(string(list.body), r.ID) {
		t.Errorf("not listed as lapsed: %s", list.body)
	}
}

// TestApprovalsVisibility: each caller sees what is its own to see; one
// that may not see a request gets 404, as if it did not exist.
func TestApprovalsVisibility(t *testing.T) {
	a := newApprovalEnv(t)
	a.decision(t, "dec-1", 41, "acme")
	r := a.ask(t)
	for _, tc := range []struct {
		name, token string
		sees        bool
	}{
		{"the requester", a.tokens[store.RoleRequester], true},
		{"the holder's approver", a.tokens["globex/"+store.RoleApprover], true},
		{"an auditor", a.tokens[store.RoleAuditor], true},
		{"an admin", a.tokens[store.RoleAdmin], true},
		{"another requester", a.tokens["globex/requester"], false},
		{"another principal's approver", a.tokens["dgsi/"+store.RoleApprover], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := a.do(call{method: "GET", path: "/v1/approvals/" + r.ID, token: tc.token})
			list := a.do(call{method: "GET", path: "/v1/approvals?dataset=firmware-fr", token: tc.token})
			listed := strings.Contains(string(list.body), r.ID)
			if (got.status == http.StatusOK) != tc.sees || listed != tc.sees {
				t.Errorf("get %d, listed %v; want seen %v", got.status, listed, tc.sees)
			}
		})
	}
	for _, q := range []string{"?status=maybe", "?holder=acme"} {
		if ans := a.do(call{method: "GET", path: "/v1/approvals" + q, token: a.tokens[store.RoleAuditor], invalid: true}); ans.status != http.StatusBadRequest {
			t.Errorf("GET /v1/approvals%s: %d, want 400", q, ans.status)
		}
	}
}
