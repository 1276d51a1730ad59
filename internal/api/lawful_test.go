package api_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/mla"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/report"
	"github.com/accord-dev/accord/internal/store"
)

func init() {
	// The transparency report is also served as HTML.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
}

// memLog is a log in memory: it keeps every entry appended, for the
// statement endpoints (api.Appender) and MLA cases (mla.Appender).
type memLog struct {
	mu      sync.Mutex
	entries []ledger.Entry
	fail    error
}

func (l *memLog) Append(ctx context.Context, e ledger.Entry) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return 0, l.fail
	}
	l.entries = append(l.entries, e)
	return uint64(len(l.entries) - 1), nil
}

func (l *memLog) kinds() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.entries {
		out = append(out, e.Kind+":"+e.Subject)
	}
	return out
}

// caseLog adapts memLog to mla.Appender.
type caseLog struct{ l *memLog }

func (c caseLog) Append(ctx context.Context, kind string, summary map[string]any) (uint64, error) {
	e := ledger.Entry{Kind: ledger.KindMLATransition, Subject: fmt.Sprint(summary["case"], ":", summary["to"])}
	return c.l.Append(ctx, e)
}

// lawfulPrincipals are the authorities and the provider of the scenario.
var lawfulPrincipals = []store.Principal{
	{ID: "cn-moj", Kind: model.KindStateAuthority, Role: "central-authority", Jurisdiction: "CN"},
	{ID: "fr-bepi", Kind: model.KindStateAuthority, Role: "central-authority", Jurisdiction: "FR"},
	{ID: "de-bmj", Kind: model.KindStateAuthority, Role: "central-authority", Jurisdiction: "DE"},
	{ID: "mailco-cn", Kind: model.KindCompany, Jurisdiction: "CN", MayActFor: []string{"fr-bepi"}},
	{ID: "otherco", Kind: model.KindCompany, Jurisdiction: "CN"},
}

// lawfulEnv is a server with lawful access configured: keys for cn-moj
// and de-bmj, a memory log, and a token per scenario principal.
type lawfulEnv struct {
	*env
	log  *memLog
	revs *api.Revocations
	skew atomic.Int64 // added to the server's clock
	keys map[string]ed25519.PrivateKey
}

func newLawfulEnv(t testing.TB) *lawfulEnv {
	t.Helper()
	le := &lawfulEnv{log: &memLog{}, revs: &api.Revocations{}, keys: map[string]ed25519.PrivateKey{}}
	keys := authz.KeySet{}
	for _, p := range lawfulPrincipals[:3] {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys[p.ID] = authz.AuthorityKey{ID: p.ID, Jurisdiction: p.Jurisdiction, Role: p.Role, PublicKey: pub}
		le.keys[p.ID] = priv
	}
	var st store.Store
	le.env = newEnv(t, func(c *api.Config) {
		st = c.Store
		c.Now = func() time.Time { return time.Now().Add(time.Duration(le.skew.Load())) }
		c.Lawful = &api.Lawful{
			Keys:        keys,
			Log:         le.log,
			Revocations: le.revs,
			Entries: func(ctx context.Context) ([]report.Logged, *ledger.Checkpoint, error) {
				le.log.mu.Lock()
				defer le.log.mu.Unlock()
				var out []report.Logged
				for i, e := range le.log.entries {
					out = append(out, report.Logged{Index: uint64(i), Entry: e})
				}
				cp := &ledger.Checkpoint{Origin: "accord.example/test", Size: uint64(len(out)), Hash: make([]byte, 32),
					Raw: []byte("accord.example/test\n" + fmt.Sprint(len(out)) + "\nAAAA\n\n— accord.example/test sig\n")}
				return out, cp, nil
			},
		}
	})
	// The case service needs the store the server uses.
	le.cfg.Lawful.Cases = &mla.Service{Cases: st.MLACases(), Log: caseLog{le.log}}
	ctx := context.Background()
	now := time.Now()
	for _, p := range lawfulPrincipals {
		if err := st.PutPrincipal(ctx, p); err != nil {
			t.Fatal(err)
		}
		role := store.RoleAuthority
		if p.Kind == model.KindCompany {
			role = store.RoleRequester
		}
		le.tokens[p.ID] = le.token(p.ID, role, now, 0)
	}
	return le
}

// sign returns the JSON envelope of st signed by authority id.
func (le *lawfulEnv) sign(id string, st *authz.Statement) string {
	le.t.Helper()
	env, err := authz.Sign(context.Background(), st, le.keys[id])
	if err != nil {
		le.t.Fatal(err)
	}
	b, _ := json.Marshal(env)
	return string(b)
}

var t0 = time.Now().UTC().Truncate(time.Second)

func authorization(id, issuer, state string) *authz.Statement {
	return &authz.Statement{ID: id, Type: authz.TypeAuthorization, Issuer: issuer, IssuerJurisdiction: state, Grantee: "fr-bepi",
		Scope:     &authz.Scope{Purposes: []string{"law-enforcement"}, Categories: []string{"personal.contact"}, MaxSubjects: 2},
		ValidFrom: t0.Add(-time.Hour), ValidTo: t0.Add(24 * time.Hour)}
}

func revocation(id, revokes, issuer, state string) *authz.Statement {
	return &authz.Statement{ID: id, Type: authz.TypeRevocation, Issuer: issuer, IssuerJurisdiction: state, Revokes: revokes, ValidFrom: t0.Add(-time.Minute)}
}

// TestLodgeStatements: who may lodge what, and a lodged revocation takes
// effect in the set the decider reads.
func TestLodgeStatements(t *testing.T) {
	le := newLawfulEnv(t)
	authzCN := le.sign("cn-moj", authorization("CN-A-1", "cn-moj", "CN"))
	tests := []struct {
		name, path, token, body string
		status                  int
	}{
		{"no token", "/v1/authorizations", "", authzCN, 401},
		{"requester role", "/v1/authorizations", le.tokens["mailco-cn"], authzCN, 403},
		{"auditor role", "/v1/authorizations", le.tokens[store.RoleAuditor], authzCN, 403},
		{"authority of another state", "/v1/authorizations", le.tokens["fr-bepi"], authzCN, 403},
		{"not an envelope", "/v1/authorizations", le.tokens["cn-moj"], `{"payloadType":"x"}`, 400},
		{"revocation at the authorizations endpoint", "/v1/authorizations", le.tokens["cn-moj"], le.sign("cn-moj", revocation("CN-R-0", "CN-A-1", "cn-moj", "CN")), 400},
		{"signed with another key", "/v1/authorizations", le.tokens["de-bmj"], le.sign("de-bmj", authorization("CN-A-2", "cn-moj", "CN")), 400},
		{"right authority", "/v1/authorizations", le.tokens["cn-moj"], authzCN, 201},
		{"lodged twice", "/v1/authorizations", le.tokens["cn-moj"], authzCN, 409},
		{"revocation, other state", "/v1/revocations", le.tokens["de-bmj"], le.sign("cn-moj", revocation("CN-R-1", "CN-A-1", "cn-moj", "CN")), 403},
		{"revocation, no token", "/v1/revocations", "", le.sign("cn-moj", revocation("CN-R-1", "CN-A-1", "cn-moj", "CN")), 401},
		{"revocation, requester role", "/v1/revocations", le.tokens["mailco-cn"], le.sign("cn-moj", revocation("CN-R-1", "CN-A-1", "cn-moj", "CN")), 403},
		{"revocation", "/v1/revocations", le.tokens["cn-moj"], le.sign("cn-moj", revocation("CN-R-1", "CN-A-1", "cn-moj", "CN")), 201},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := le.do(call{method: "POST", path: tc.path, token: tc.token, body: tc.body, invalid: tc.status == 400})
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
		})
	}
	if got, want := strings.Join(le.log.kinds(), " "), "authorization:CN-A-1 revocation:CN-R-1"; got != want {
		t.Fatalf("log = %s, want %s", got, want)
	}
	le.log.mu.Lock()
	rev := le.log.entries[1]
	le.log.mu.Unlock()
	if rev.Refers == nil || *rev.Refers != 0 || rev.Jurisdiction != "CN" || rev.Requester == nil || rev.Requester.State != "CN" {
		t.Fatalf("revocation entry = %+v, want refers 0, jurisdiction CN, requester of CN", rev)
	}
	if r, ok := le.revs.Revocation("CN-A-1", "CN"); !ok || r.ID != "CN-R-1" {
		t.Fatalf("revocation not in effect: %+v %v", r, ok)
	}
	if _, ok := le.revs.Revocation("CN-A-1", "FR"); ok {
		t.Fatal("a CN revocation counts for FR")
	}
	stored, err := le.st.ListStatements(context.Background(), "")
	if err != nil || len(stored) != 2 {
		t.Fatalf("stored statements = %v, %v; want 2", stored, err)
	}
	// The stored envelope and salt are the private record behind the entry.
	le.log.mu.Lock()
	first := le.log.entries[0]
	le.log.mu.Unlock()
	if err := ledger.VerifyPrivate(first, ledger.Private{Record: stored[0].Envelope, Salt: stored[0].Salt}); err != nil {
		t.Fatalf("stored envelope does not match the log entry: %v", err)
	}
}

// TestTransparencyReport: auditors only; every format; bad parameters 400.
func TestTransparencyReport(t *testing.T) {
	le := newLawfulEnv(t)
	tests := []struct {
		name, query, token string
		status             int
		contentType        string
	}{
		{"no token", "period=2026-H2", "", 401, ""},
		{"requester", "period=2026-H2", le.tokens["mailco-cn"], 403, ""},
		{"authority", "period=2026-H2", le.tokens["cn-moj"], 403, ""},
		{"json", "period=2026-H2", le.tokens[store.RoleAuditor], 200, "application/json"},
		{"csv in French", "period=2026-H2&lang=fr&format=csv", le.tokens[store.RoleAuditor], 200, "text/csv"},
		{"html", "period=all&format=html", le.tokens[store.RoleAuditor], 200, "text/html"},
		{"bad period", "period=2026-H3", le.tokens[store.RoleAuditor], 400, ""},
		{"bad format", "period=2026&format=pdf", le.tokens[store.RoleAuditor], 400, ""},
		{"no catalog", "period=2026&lang=de", le.tokens[store.RoleAuditor], 400, ""},
		{"html in Arabic", "period=all&format=html&lang=ar", le.tokens[store.RoleAuditor], 200, "text/html"},
		{"csv in Russian", "period=all&format=csv&lang=ru-RU", le.tokens[store.RoleAuditor], 200, "text/csv"},
		{"not a language tag", "period=2026&lang=%00", le.tokens[store.RoleAuditor], 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := le.do(call{method: "GET", path: "/v1/reports/transparency?" + tc.query, token: tc.token, invalid: tc.status == 400})
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			if tc.contentType != "" && !strings.HasPrefix(a.header.Get("Content-Type"), tc.contentType) {
				t.Fatalf("Content-Type %q, want %s", a.header.Get("Content-Type"), tc.contentType)
			}
			if tc.status == 400 && strings.Contains(tc.query, "lang=") && (a.problem.Field != "lang" || !strings.Contains(a.problem.Detail, "known: en (English), fr (français), zh (中文)")) {
				t.Fatalf("lang refused as %+v; want field lang and the known languages", a.problem)
			}
			if strings.Contains(tc.query, "lang=ar") && (!strings.Contains(string(a.body), `<html lang="ar" dir="rtl">`) || a.header.Get("Content-Language") != "ar") {
				t.Fatalf("Arabic report not right to left, or Content-Language %q:\n%s", a.header.Get("Content-Language"), a.body)
			}
		})
	}
}

const openBody = `{"id":"MLA-1","requested_state":"CN","provider":"mailco-cn","scope":{"purposes":["law-enforcement"],"categories":["personal.contact"],"selectors":{"kind":"specific","count":3},"max_subjects":3,"subject_states":["CN","FR"]}}`

const executeBody = `{"action":"disclose","on_behalf_of":{"id":"fr-bepi","kind":"state-authority","role":"central-authority","jurisdiction":"FR"},
 "data":{"location":"CN","origin":["CN"],"categories":["personal.contact"],"subjects":{"CN":2},"records":12,"classification":"general"},
 "destination":"FR","purpose":"law-enforcement","selectors":{"kind":"specific","count":2},"basis":{"kind":"mla","ref":"MLA-1","authorizations":[]}}`

// TestMLACase runs a case through the API: open, receive, narrow,
// execute, close, with the wrong callers refused at each step and nothing
// logged for them.
func TestMLACase(t *testing.T) {
	le := newLawfulEnv(t)
	narrow := `{"scope":{"purposes":["law-enforcement"],"categories":["personal.contact"],"selectors":{"kind":"specific","count":2},"max_subjects":2,"subject_states":["CN","FR"]}}`
	steps := []struct {
		name, method, path, token, body string
		status                          int
		state                           string
	}{
		{"open, no token", "POST", "/v1/mla", "", openBody, 401, ""},
		{"open, requester role", "POST", "/v1/mla", le.tokens["mailco-cn"], openBody, 403, ""},
		{"open, auditor role", "POST", "/v1/mla", le.tokens[store.RoleAuditor], openBody, 403, ""},
		{"open", "POST", "/v1/mla", le.tokens["fr-bepi"], openBody, 201, "opened"},
		{"open again", "POST", "/v1/mla", le.tokens["fr-bepi"], openBody, 409, ""},
		{"read, no token", "GET", "/v1/mla/MLA-1", "", "", 401, ""},
		{"read, operator role", "GET", "/v1/mla/MLA-1", le.tokens[store.RoleOperator], "", 403, ""},
		{"read, authority of another state", "GET", "/v1/mla/MLA-1", le.tokens["de-bmj"], "", 403, ""},
		{"read, the requested state", "GET", "/v1/mla/MLA-1", le.tokens["cn-moj"], "", 200, "opened"},
		{"read, the provider", "GET", "/v1/mla/MLA-1", le.tokens["mailco-cn"], "", 200, "opened"},
		{"read, another company", "GET", "/v1/mla/MLA-1", le.tokens["otherco"], "", 403, ""},
		{"read, auditor", "GET", "/v1/mla/MLA-1", le.tokens[store.RoleAuditor], "", 200, "opened"},
		{"read, missing", "GET", "/v1/mla/MLA-9", le.tokens[store.RoleAuditor], "", 404, ""},
		{"receive, no token", "POST", "/v1/mla/MLA-1/receive", "", "", 401, ""},
		{"receive, requester role", "POST", "/v1/mla/MLA-1/receive", le.tokens["mailco-cn"], "", 403, ""},
		{"receive, authority of another state", "POST", "/v1/mla/MLA-1/receive", le.tokens["de-bmj"], "", 403, ""},
		{"receive, the requesting state", "POST", "/v1/mla/MLA-1/receive", le.tokens["fr-bepi"], "", 403, ""},
		{"receive", "POST", "/v1/mla/MLA-1/receive", le.tokens["cn-moj"], "", 200, "received"},
		{"execute before acceptance", "POST", "/v1/mla/MLA-1/execute", le.tokens["mailco-cn"], executeBody, 409, ""},
		{"narrow wider than asked", "POST", "/v1/mla/MLA-1/narrow", le.tokens["cn-moj"], strings.Replace(narrow, `"count":2`, `"count":5`, 1), 422, ""},
		{"authorization before an answer", "GET", "/v1/mla/MLA-1/authorization", le.tokens["cn-moj"], "", 409, ""},
		{"narrow", "POST", "/v1/mla/MLA-1/narrow", le.tokens["cn-moj"], narrow, 200, "narrowed"},
		{"authorization, no token", "GET", "/v1/mla/MLA-1/authorization", "", "", 401, ""},
		{"authorization, operator role", "GET", "/v1/mla/MLA-1/authorization", le.tokens[store.RoleOperator], "", 403, ""},
		{"authorization, authority of another state", "GET", "/v1/mla/MLA-1/authorization", le.tokens["de-bmj"], "", 403, ""},
		{"authorization", "GET", "/v1/mla/MLA-1/authorization", le.tokens["cn-moj"], "", 200, ""},
		{"execute, no token", "POST", "/v1/mla/MLA-1/execute", "", executeBody, 401, ""},
		{"execute, authority role", "POST", "/v1/mla/MLA-1/execute", le.tokens["cn-moj"], executeBody, 403, ""},
		{"execute, another provider", "POST", "/v1/mla/MLA-1/execute", le.tokens["otherco"], executeBody, 403, ""},
		{"execute beyond the narrowing", "POST", "/v1/mla/MLA-1/execute", le.tokens["mailco-cn"], strings.Replace(executeBody, `"count":2`, `"count":3`, 1), 422, ""},
		{"execute under another case", "POST", "/v1/mla/MLA-1/execute", le.tokens["mailco-cn"], strings.Replace(executeBody, `"ref":"MLA-1"`, `"ref":"MLA-2"`, 1), 400, ""},
		{"execute, backdated", "POST", "/v1/mla/MLA-1/execute", le.tokens["mailco-cn"], strings.Replace(executeBody, `{"action"`, `{"time":"2026-01-01T00:00:00Z","action"`, 1), 400, ""},
		{"execute", "POST", "/v1/mla/MLA-1/execute", le.tokens["mailco-cn"], executeBody, 201, "executed"},
		{"close, another state", "POST", "/v1/mla/MLA-1/close", le.tokens["de-bmj"], "", 403, ""},
		{"close, no token", "POST", "/v1/mla/MLA-1/close", "", "", 401, ""},
		{"unknown step", "POST", "/v1/mla/MLA-1/approve", le.tokens["cn-moj"], "", 404, ""},
		{"close", "POST", "/v1/mla/MLA-1/close", le.tokens["cn-moj"], "", 200, "closed"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			// An unknown step breaks the contract (the verb enum) on purpose.
			a := le.do(call{method: s.method, path: s.path, token: s.token, body: s.body, invalid: strings.HasSuffix(s.path, "/approve")})
			if a.status != s.status {
				t.Fatalf("status %d, want %d: %s", a.status, s.status, a.body)
			}
			if s.state == "" {
				return
			}
			var got struct {
				State string `json:"state"`
				Case  *struct {
					State string `json:"state"`
				} `json:"case"`
			}
			if err := json.Unmarshal(a.body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Case != nil {
				got.State = got.Case.State
			}
			if got.State != s.state {
				t.Fatalf("state %q, want %q", got.State, s.state)
			}
		})
	}
	want := "mla-transition:MLA-1:opened mla-transition:MLA-1:received mla-transition:MLA-1:narrowed mla-transition:MLA-1:executed mla-transition:MLA-1:closed"
	if got := strings.Join(le.log.kinds(), " "); got != want {
		t.Fatalf("log = %s\nwant %s", got, want)
	}
	// The execution was a binding decision made as the provider, for the
	// grantee, with basis mla.
	last := le.dec.lastRequest()
	if last == nil || last.Requester.ID != "mailco-cn" || last.OnBehalfOf == nil || last.OnBehalfOf.ID != "fr-bepi" || last.Basis.Kind != "mla" {
		t.Fatalf("decided request = %+v", last)
	}
}

// TestMLAExecuteNotAllowed: a decision that does not allow leaves the case
// where it was.
func TestMLAExecuteNotAllowed(t *testing.T) {
	le := newLawfulEnv(t)
	for _, s := range []struct{ path, token, body string }{
		{"/v1/mla", le.tokens["fr-bepi"], openBody},
		{"/v1/mla/MLA-1/receive", le.tokens["cn-moj"], ""},
		{"/v1/mla/MLA-1/accept", le.tokens["cn-moj"], ""},
	} {
		if a := le.do(call{method: "POST", path: s.path, token: s.token, body: s.body}); a.status >= 300 {
			t.Fatalf("%s: %d %s", s.path, a.status, a.body)
		}
	}
	le.dec.mu.Lock()
	le.dec.outcome = model.Pending
	le.dec.mu.Unlock()
	a := le.do(call{method: "POST", path: "/v1/mla/MLA-1/execute", token: le.tokens["mailco-cn"], body: executeBody})
	// A decision was made (and logged) either way: 201 with its Location;
	// the outcome is in the body.
	if a.status != 201 || !strings.HasPrefix(a.header.Get("Location"), "/v1/decisions/") {
		t.Fatalf("status %d, Location %q; want 201 and the decision's: %s", a.status, a.header.Get("Location"), a.body)
	}
	var got api.Execution
	if err := json.Unmarshal(a.body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Executed || got.Decision.Outcome != model.Pending || got.Case.State != mla.Accepted {
		t.Fatalf("executed %v, outcome %s, case %s; want false, pending, accepted", got.Executed, got.Decision.Outcome, got.Case.State)
	}
}

// TestMLAList: each caller sees the cases of its state; overdue lists the
// late ones only.
func TestMLAList(t *testing.T) {
	le := newLawfulEnv(t)
	if a := le.do(call{method: "POST", path: "/v1/mla", token: le.tokens["fr-bepi"], body: openBody}); a.status != 201 {
		t.Fatalf("open: %d %s", a.status, a.body)
	}
	count := func(token, query string) (int, int) {
		t.Helper()
		a := le.do(call{method: "GET", path: "/v1/mla" + query, token: token})
		if a.status != 200 {
			t.Fatalf("list: %d %s", a.status, a.body)
		}
		var l api.CaseList
		if err := json.Unmarshal(a.body, &l); err != nil {
			t.Fatal(err)
		}
		return len(l.Cases), len(l.Overdue)
	}
	for _, tc := range []struct {
		who, query     string
		cases, overdue int
	}{
		{"fr-bepi", "", 1, 0},
		{"cn-moj", "", 1, 0},
		{"de-bmj", "", 0, 0},
		{"mailco-cn", "", 1, 0},
		{"otherco", "", 0, 0},
		{store.RoleAuditor, "", 1, 0},
		{store.RoleAuditor, "?overdue=true", 0, 0},
		{store.RoleAuditor, "?state=CN", 1, 0},
		{store.RoleAuditor, "?state=FR&status=opened", 1, 0},
		{store.RoleAuditor, "?state=DE", 0, 0},
		{store.RoleAuditor, "?status=closed", 0, 0},
		{"de-bmj", "?state=FR", 0, 0}, // a filter never widens what a caller reads
	} {
		if c, o := count(le.tokens[tc.who], tc.query); c != tc.cases || o != tc.overdue {
			t.Errorf("%s%s: %d cases, %d overdue; want %d, %d", tc.who, tc.query, c, o, tc.cases, tc.overdue)
		}
	}
	// 31 days later the answer is late (default terms: 30 days).
	le.skew.Store(int64(31 * 24 * time.Hour))
	if c, o := count(le.tokens[store.RoleAuditor], "?overdue=true"); c != 1 || o != 1 {
		t.Fatalf("31 days on: %d cases, %d overdue; want 1, 1", c, o)
	}
	if c, o := count(le.tokens["de-bmj"], "?overdue=true"); c != 0 || o != 0 {
		t.Fatalf("31 days on, another state: %d cases, %d overdue; want 0, 0", c, o)
	}
	if a := le.do(call{method: "GET", path: "/v1/mla", token: ""}); a.status != 401 {
		t.Fatalf("no token: %d", a.status)
	}
	if a := le.do(call{method: "GET", path: "/v1/mla", token: le.tokens[store.RoleOperator]}); a.status != 403 {
		t.Fatalf("operator: %d", a.status)
	}
	for _, bad := range []struct{ query, field string }{{"?state=fr", "state"}, {"?status=lost", "status"}, {"?states=FR", "states"}} {
		if a := le.do(call{method: "GET", path: "/v1/mla" + bad.query, token: le.tokens[store.RoleAuditor], invalid: true}); a.status != 400 || a.problem.Field != bad.field {
			t.Errorf("%s: %d naming %q, want 400 naming %q", bad.query, a.status, a.problem.Field, bad.field)
		}
	}
}

// TestAuthorizationList: who sees which lodged authorizations, the state
// and status filters, and pages in the one list shape.
func TestAuthorizationList(t *testing.T) {
	le := newLawfulEnv(t)
	lodge := func(path, by, body string) {
		t.Helper()
		if a := le.do(call{method: "POST", path: path, token: le.tokens[by], body: body}); a.status != 201 {
			t.Fatalf("lodge: %d %s", a.status, a.body)
		}
	}
	lodge("/v1/authorizations", "cn-moj", le.sign("cn-moj", authorization("CN-A-1", "cn-moj", "CN")))
	lodge("/v1/authorizations", "cn-moj", le.sign("cn-moj", authorization("CN-A-2", "cn-moj", "CN")))
	lapsed := authorization("DE-A-1", "de-bmj", "DE")
	lapsed.ValidFrom, lapsed.ValidTo = t0.Add(-48*time.Hour), t0.Add(-24*time.Hour)
	lodge("/v1/authorizations", "de-bmj", le.sign("de-bmj", lapsed))
	lodge("/v1/revocations", "cn-moj", le.sign("cn-moj", revocation("CN-R-1", "CN-A-2", "cn-moj", "CN")))
	list := func(token, query string) ([]string, string) {
		t.Helper()
		a := le.do(call{method: "GET", path: "/v1/authorizations" + query, token: token})
		if a.status != 200 {
			t.Fatalf("%s: %d %s", query, a.status, a.body)
		}
		var l api.AuthorizationList
		if err := json.Unmarshal(a.body, &l); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range l.Authorizations {
			out = append(out, x.ID+":"+x.Status)
		}
		return out, l.NextPageToken
	}
	for _, tc := range []struct {
		who, query, want string
	}{
		{store.RoleAuditor, "", "CN-A-1:current CN-A-2:revoked DE-A-1:expired"},
		{store.RoleAuditor, "?state=CN", "CN-A-1:current CN-A-2:revoked"},
		{store.RoleAuditor, "?status=current", "CN-A-1:current"},
		{store.RoleAuditor, "?status=revoked", "CN-A-2:revoked"},
		{store.RoleAuditor, "?status=expired", "DE-A-1:expired"},
		{"cn-moj", "", "CN-A-1:current CN-A-2:revoked"},
		{"cn-moj", "?state=DE", ""}, // a filter never widens what a caller reads
		{"fr-bepi", "", ""},
	} {
		got, _ := list(le.tokens[tc.who], tc.query)
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s%s: %v, want %s", tc.who, tc.query, got, tc.want)
		}
	}
	first, next := list(le.tokens[store.RoleAuditor], "?page_size=2")
	rest, last := list(le.tokens[store.RoleAuditor], "?page_size=2&page_token="+next)
	if len(first) != 2 || next == "" || strings.Join(rest, " ") != "DE-A-1:expired" || last != "" {
		t.Errorf("pages: %v %q %v %q", first, next, rest, last)
	}
	for _, tc := range []struct {
		token, query string
		status       int
		field        string
	}{
		{le.tokens["mailco-cn"], "", 403, ""},
		{le.tokens[store.RoleOperator], "", 403, ""},
		{"", "", 401, ""},
		{le.tokens[store.RoleAuditor], "?status=void", 400, "status"},
		{le.tokens[store.RoleAuditor], "?state=cn", 400, "state"},
		{le.tokens[store.RoleAuditor], "?issuer=cn-moj", 400, "issuer"},
	} {
		a := le.do(call{method: "GET", path: "/v1/authorizations" + tc.query, token: tc.token, invalid: tc.status == 400})
		if a.status != tc.status || a.problem.Field != tc.field {
			t.Errorf("%s: %d naming %q, want %d naming %q", tc.query, a.status, a.problem.Field, tc.status, tc.field)
		}
	}
}

// FuzzLawfulBodies sends arbitrary bodies to the lawful-access endpoints
// that take one: every answer is a success or a 4xx problem, never a 5xx
// and never a panic.
func FuzzLawfulBodies(f *testing.F) {
	for _, s := range []string{
		openBody, executeBody, `{}`, `[]`, `null`, `{"payloadType":"application/vnd.accord.authorization+json","payload":"e30=","signatures":[{"sig":"AA=="}]}`,
		`{"scope":{"max_subjects":-1}}`, `{"ground":"x"}`, `{"id":"../x","requested_state":"ZZ","provider":"p","scope":{}}`,
	} {
		f.Add(s)
	}
	le := newLawfulEnv(f)
	h := api.New(*le.cfg)
	f.Fuzz(func(t *testing.T, body string) {
		for _, c := range []struct{ path, token string }{
			{"/v1/authorizations", "cn-moj"}, {"/v1/revocations", "cn-moj"}, {"/v1/mla", "fr-bepi"},
			{"/v1/mla/MLA-1/narrow", "cn-moj"}, {"/v1/mla/MLA-1/refuse", "cn-moj"}, {"/v1/mla/MLA-1/execute", "mailco-cn"},
		} {
			req := httptest.NewRequest("POST", c.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+le.tokens[c.token])
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code >= 500 {
				t.Fatalf("POST %s %q: %d %s", c.path, body, w.Code, w.Body)
			}
			if w.Code >= 400 && w.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("POST %s %q: %d without a problem", c.path, body, w.Code)
			}
		}
	})
}

// TestMLALogFailure: when the log fails, the step is stored but the call
// fails (500, nothing acknowledged); the next step appends the missed one
// first, so the log still shows every move in order.
func TestMLALogFailure(t *testing.T) {
	le := newLawfulEnv(t)
	le.log.mu.Lock()
	le.log.fail = errors.New("disk full")
	le.log.mu.Unlock()
	if a := le.do(call{method: "POST", path: "/v1/mla", token: le.tokens["fr-bepi"], body: openBody}); a.status != 500 {
		t.Fatalf("open with the log down: %d %s", a.status, a.body)
	}
	le.log.mu.Lock()
	le.log.fail = nil
	le.log.mu.Unlock()
	if a := le.do(call{method: "POST", path: "/v1/mla/MLA-1/receive", token: le.tokens["cn-moj"]}); a.status != 200 {
		t.Fatalf("receive after the log returned: %d %s", a.status, a.body)
	}
	if got, want := strings.Join(le.log.kinds(), " "), "mla-transition:MLA-1:opened mla-transition:MLA-1:received"; got != want {
		t.Fatalf("log = %s, want %s", got, want)
	}
}
