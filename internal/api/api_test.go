package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/registry"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/sqlite"
)

// fakeDecider stands in for decide.Decider: it remembers the request it
// was given and answers with a fixed decision or error.
type fakeDecider struct {
	mu   sync.Mutex
	last *model.Request
	err  error
	next uint64
	// outcome, when set, is every decision's outcome.
	outcome model.Outcome
}

func (f *fakeDecider) decision(req *model.Request) model.Decision {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = req
	out := model.Allow
	if req.Data.Location != req.Requester.Jurisdiction {
		out = model.Pending
	}
	if f.outcome != "" {
		out = f.outcome
	}
	return model.Decision{
		Outcome: out,
		Reasons: []model.Reason{{Rule: "gdsi-5-foreign-access", Pack: "gdsi", Effect: "require", Message: "m", Citation: "GDSI 5"}},
		Packs:   []model.PackOutcome{{Pack: "gdsi", Version: "2026.11.0", Outcome: out}},
		Time:    time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
	}
}

func (f *fakeDecider) Check(ctx context.Context, req *model.Request, explain bool) (model.Decision, error) {
	d := f.decision(req)
	return d, f.err
}

func (f *fakeDecider) Decide(ctx context.Context, req *model.Request) (model.Decision, error) {
	d := f.decision(req)
	if f.err != nil {
		return model.Decision{}, f.err
	}
	f.mu.Lock()
	idx := f.next
	f.next++
	f.mu.Unlock()
	d.ID, d.LogIndex, d.Binding = fmt.Sprintf("dec-%d", idx), &idx, true
	return d, nil
}

func (f *fakeDecider) lastRequest() *model.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// fakeLog serves a fixed checkpoint and receipts for indexes below ready.
type fakeLog struct{ ready uint64 }

func (l *fakeLog) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/checkpoint" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "accord.example/test\n1\nAAAA\n")
	})
}

func (l *fakeLog) Receipt(ctx context.Context, index uint64) (*ledger.Receipt, error) {
	if index >= l.ready {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &ledger.Receipt{Index: index, Entry: json.RawMessage(`{"kind":"decision"}`), LeafHash: make([]byte, 32), Checkpoint: "cp", InclusionProof: [][]byte{}}, nil
}

var sharedRegistry = func() *registry.Registry {
	r, err := registry.Load()
	if err != nil {
		panic(err)
	}
	return r
}()

// env is one server under test, with a token per role.
type env struct {
	t      testing.TB
	srv    *httptest.Server
	st     store.Store
	dec    *fakeDecider
	tokens map[string]string // role (or principal/role) -> secret
	router routers.Router
	cfg    *api.Config
	// log receives registry changes; live is what they put in effect.
	log  *changeLogMem
	live *liveState
}

var principals = []store.Principal{
	{ID: "acme", Kind: model.KindCompany, Jurisdiction: "FR", MayActFor: []string{"dgsi", "ghost"}, Attributes: store.PrincipalAttributes{Headquarters: "BE", Owners: map[string]float64{"FR": 100}}},
	{ID: "globex", Kind: model.KindCompany, Jurisdiction: "US"},
	{ID: "dgsi", Kind: model.KindStateAuthority, Role: "intelligence", Jurisdiction: "FR"},
	{ID: "cnil", Kind: model.KindStateAuthority, Role: "regulator", Jurisdiction: "FR"},
	{ID: "ops", Kind: model.KindOrganization, Jurisdiction: "FR"},
	{ID: "audit", Kind: model.KindOrganization, Jurisdiction: "FR"},
	{ID: "root", Kind: model.KindOrganization, Jurisdiction: "FR"},
}

// roleHolders says which principal holds the token of each role.
var roleHolders = map[string]string{
	store.RoleRequester: "acme",
	store.RoleAuthority: "cnil",
	store.RoleOperator:  "ops",
	store.RoleAuditor:   "audit",
	store.RoleAdmin:     "root",
}

func newEnv(t testing.TB, mutate ...func(*api.Config)) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "accord.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := &changeStore{Store: db}
	e := &env{t: t, st: st, dec: &fakeDecider{}, tokens: map[string]string{}, log: &changeLogMem{}, live: &liveState{}}
	for _, p := range principals {
		if err := st.PutPrincipal(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	for role, holder := range roleHolders {
		e.tokens[role] = e.token(holder, role, now, 0)
	}
	e.tokens["globex/requester"] = e.token("globex", store.RoleRequester, now, 0)
	cfg := api.Config{Store: st, Decider: e.dec, Registry: sharedRegistry, Log: &fakeLog{ready: 100}, ReceiptWait: 50 * time.Millisecond,
		RegistryChanges: &api.RegistryChanges{Log: e.log, Prepare: e.live.prepare}}
	for _, m := range mutate {
		m(&cfg)
	}
	e.cfg = &cfg
	e.srv = httptest.NewServer(api.New(cfg))
	t.Cleanup(e.srv.Close)

	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPIYAML)
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.yaml is not valid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: e.srv.URL}}
	e.router, err = gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	return e
}

func (e *env) token(principal, role string, now time.Time, ttl time.Duration) string {
	secret, tok, err := store.NewToken(principal, role, now, ttl)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.CreateToken(context.Background(), tok); err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// call is one HTTP exchange.
type call struct {
	method, path string
	token        string // secret; "" sends none
	body         string
	contentType  string // default application/json when body is set
	invalid      bool   // the request breaks the contract on purpose: do not validate it
	header       map[string]string
	// bare sends a PUT or DELETE without the precondition do adds
	// otherwise (when header is nil).
	bare bool
}

type answer struct {
	status  int
	header  http.Header
	body    []byte
	problem api.Problem
}

// do sends c, checks the request (unless invalid) and the response against
// the OpenAPI document, and returns the answer.
func (e *env) do(c call) answer {
	e.t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, e.srv.URL+c.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if c.body != "" {
		ct := c.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	header := c.header
	if header == nil && !c.bare && (c.method == "PUT" || c.method == "DELETE") {
		header = e.precondition(c.method, c.path)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	route, params, rerr := e.router.FindRoute(req)
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if rerr == nil && !c.invalid {
		vreq := req.Clone(context.Background())
		vreq.Body = io.NopCloser(strings.NewReader(c.body))
		in.Request = vreq
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			e.t.Errorf("%s %s: request does not match the OpenAPI document: %v", c.method, c.path, err)
		}
		in.Request = req
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		if err := json.Unmarshal(b, &a.problem); err != nil {
			e.t.Errorf("%s %s: problem body does not decode: %v", c.method, c.path, err)
		}
		if a.problem.Status != resp.StatusCode || a.problem.Type == "" || a.problem.Title == "" {
			e.t.Errorf("%s %s: malformed problem %+v for status %d", c.method, c.path, a.problem, resp.StatusCode)
		}
	} else if resp.StatusCode >= 400 {
		e.t.Errorf("%s %s: error %d is not problem+json (%q)", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if rerr == nil {
		rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
		rin.SetBodyBytes(b)
		if err := openapi3filter.ValidateResponse(context.Background(), rin); err != nil {
			e.t.Errorf("%s %s: response %d does not match the OpenAPI document: %v\n%s", c.method, c.path, resp.StatusCode, err, b)
		}
	} else if strings.HasPrefix(c.path, "/v1/") && resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		e.t.Errorf("%s %s: no route in the OpenAPI document: %v", c.method, c.path, rerr)
	}
	return a
}

// Preconditions for writes that are not about them: the resource exists,
// or is created.
var (
	ifMatchAny     = map[string]string{"If-Match": "*"}
	ifNoneMatchAny = map[string]string{"If-None-Match": "*"}
)

// precondition is the If-Match or If-None-Match a write whose test is
// about something else sends: "*", as the resource exists or not (tests of
// preconditions set call.header or call.bare).
func (e *env) precondition(method, path string) map[string]string {
	parts := strings.Split(strings.Trim(strings.SplitN(path, "?", 2)[0], "/"), "/")
	if len(parts) == 4 && parts[1] == "registry" && method == "PUT" {
		kind := strings.TrimSuffix(strings.TrimSuffix(parts[2], "s"), "ie")
		if parts[2] == "authorities" {
			kind = "authority"
		}
		if _, err := e.st.Override(context.Background(), kind, parts[3]); errors.Is(err, store.ErrNotFound) {
			return ifNoneMatchAny
		}
	}
	return ifMatchAny
}

const okRequest = `{"action":"access","data":{"location":"FR","categories":["personal.contact"],"subjects":{"FR":12}},"purpose":"commercial","selectors":{"kind":"specific","count":1}}`

const okDataset = `{"id":"crm-eu","location":"FR","origin":["FR","BE"],"categories":["personal.contact"],"subjects":{"FR":12,"BE":1},"records":13,"classification":"general"}`

func (e *env) seedDecision(id string, idx uint64, principal string) {
	e.t.Helper()
	req := &model.Request{Action: model.ActionAccess, Requester: model.Principal{ID: principal, Kind: model.KindCompany, Jurisdiction: "FR"}, Data: model.Data{Location: "FR"}}
	dec := model.Decision{Outcome: model.Allow, Reasons: []model.Reason{}, Binding: true, Time: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	priv, _ := json.Marshal(map[string]any{"request": req, "decision": dec})
	err := e.st.RecordDecision(context.Background(), store.DecisionRecord{ID: id, LogIndex: idx, Principal: principal, Outcome: model.Allow, Private: priv, Salt: []byte{1}, Created: dec.Time}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
}

// TestAuthorization checks every endpoint with no token (401), each role
// that may not call it (403) and each role that may (success).
func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	e.seedDecision("dec-acme", 0, "acme")
	if err := e.st.CreateDataset(context.Background(), store.Dataset{ID: "seed", Location: "FR"}); err != nil {
		t.Fatal(err)
	}
	all := []string{store.RoleAdmin, store.RoleOperator, store.RoleRequester, store.RoleAuthority, store.RoleAuditor}
	cases := []struct {
		method, path, body string
		allowed            []string
		ok                 int
		// fresh makes the body unique per call, for creating endpoints.
		fresh func(i int) (path, body string)
		// header is sent with every call (preconditions).
		header map[string]string
	}{
		{method: "POST", path: "/v1/decisions", body: okRequest, allowed: []string{store.RoleAdmin, store.RoleRequester}, ok: 201},
		{method: "POST", path: "/v1/check", body: okRequest, allowed: []string{store.RoleAdmin, store.RoleRequester, store.RoleOperator, store.RoleAuditor}, ok: 200},
		{method: "GET", path: "/v1/decisions/dec-acme", allowed: []string{store.RoleAdmin, store.RoleRequester, store.RoleAuditor}, ok: 200},
		{method: "GET", path: "/v1/decisions", allowed: []string{store.RoleAdmin, store.RoleRequester, store.RoleAuthority, store.RoleAuditor}, ok: 200},
		{method: "GET", path: "/v1/decisions/dec-acme/record", allowed: []string{store.RoleAdmin, store.RoleRequester, store.RoleAuditor}, ok: 200},
		{method: "GET", path: "/v1/datasets", allowed: []string{store.RoleAdmin, store.RoleRequester, store.RoleOperator, store.RoleAuditor}, ok: 200},
		{method: "GET", path: "/v1/datasets/seed", allowed: []string{store.RoleAdmin, store.RoleRequester, store.RoleOperator, store.RoleAuditor}, ok: 200},
		{method: "POST", path: "/v1/datasets", allowed: []string{store.RoleAdmin, store.RoleOperator}, ok: 201, fresh: func(i int) (string, string) {
			return "/v1/datasets", fmt.Sprintf(`{"id":"ds-%d","location":"DE"}`, i)
		}},
		{method: "PUT", path: "/v1/datasets/seed", body: `{"location":"BE"}`, allowed: []string{store.RoleAdmin, store.RoleOperator}, ok: 200, header: ifMatchAny},
		{method: "DELETE", path: "/v1/datasets/x", allowed: []string{store.RoleAdmin, store.RoleOperator}, ok: 204, header: ifMatchAny, fresh: func(i int) (string, string) {
			id := fmt.Sprintf("del-%d", i)
			if err := e.st.CreateDataset(context.Background(), store.Dataset{ID: id, Location: "FR"}); err != nil {
				t.Fatal(err)
			}
			return "/v1/datasets/" + id, ""
		}},
		{method: "GET", path: "/v1/registry/blocs", allowed: all, ok: 200},
		{method: "GET", path: "/v1/registry/jurisdictions", allowed: all, ok: 200},
		{method: "GET", path: "/v1/registry/agreements", allowed: all, ok: 200},
		{method: "GET", path: "/v1/registry/authorities", allowed: all, ok: 200},
		{method: "GET", path: "/v1/registry/changes", allowed: all, ok: 200},
		{method: "PUT", path: "/v1/registry/blocs/nordic", allowed: []string{store.RoleAdmin, store.RoleOperator}, ok: 201, header: ifNoneMatchAny, fresh: func(i int) (string, string) {
			return fmt.Sprintf("/v1/registry/blocs/nordic-%d", i), fmt.Sprintf(`{"id":"nordic-%d","members":["DK","SE"]}`, i)
		}},
		{method: "PUT", path: "/v1/registry/authorities/fr-x", allowed: []string{store.RoleAdmin}, ok: 201, header: ifNoneMatchAny, fresh: func(i int) (string, string) {
			return fmt.Sprintf("/v1/registry/authorities/fr-x%d", i), fmt.Sprintf(`{"id":"fr-x%d","jurisdiction":"FR"}`, i)
		}},
		{method: "GET", path: "/v1/registry/authorities/x", allowed: all, ok: 200, fresh: func(i int) (string, string) {
			id := fmt.Sprintf("g-%d", i)
			if err := e.st.PutOverride(context.Background(), store.Override{Kind: "authority", ID: id, Body: []byte(`{}`)}); err != nil {
				t.Fatal(err)
			}
			return "/v1/registry/authorities/" + id, ""
		}},
		{method: "DELETE", path: "/v1/registry/authorities/x", allowed: []string{store.RoleAdmin}, ok: 204, header: ifMatchAny, fresh: func(i int) (string, string) {
			id := fmt.Sprintf("a-%d", i)
			if err := e.st.PutOverride(context.Background(), store.Override{Kind: "authority", ID: id, Body: []byte(`{}`)}); err != nil {
				t.Fatal(err)
			}
			return "/v1/registry/authorities/" + id, ""
		}},
		{method: "DELETE", path: "/v1/registry/blocs/x", allowed: []string{store.RoleAdmin, store.RoleOperator}, ok: 204, header: ifMatchAny, fresh: func(i int) (string, string) {
			id := fmt.Sprintf("b-%d", i)
			if err := e.st.PutOverride(context.Background(), store.Override{Kind: "bloc", ID: id, Body: []byte(`{}`)}); err != nil {
				t.Fatal(err)
			}
			return "/v1/registry/blocs/" + id, ""
		}},
	}
	n := 0
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			path, body := c.path, c.body
			next := func() {
				n++
				if c.fresh != nil {
					path, body = c.fresh(n)
				}
			}
			next()
			if a := e.do(call{method: c.method, path: path, body: body}); a.status != http.StatusUnauthorized {
				t.Errorf("no token: %d, want 401", a.status)
			}
			if a := e.do(call{method: c.method, path: path, body: body, token: "accord_not-a-real-token"}); a.status != http.StatusUnauthorized {
				t.Errorf("unknown token: %d, want 401", a.status)
			}
			for _, role := range all {
				allowed := false
				for _, r := range c.allowed {
					allowed = allowed || r == role
				}
				next()
				a := e.do(call{method: c.method, path: path, body: body, token: e.tokens[role], header: c.header})
				switch {
				case allowed && a.status != c.ok:
					t.Errorf("role %s: %d, want %d: %s", role, a.status, c.ok, a.body)
				case !allowed && a.status != http.StatusForbidden:
					t.Errorf("role %s: %d, want 403", role, a.status)
				}
			}
		})
	}
}

func TestPublicEndpoints(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		path, contains string
	}{
		{"/healthz", `"ok"`},
		{"/readyz", `"ready"`},
		{"/v1/openapi.json", `"openapi": "3.1.0"`},
		{"/metrics", "accord_log_size"},
		{"/log/checkpoint", "accord.example/test"},
	} {
		a := e.do(call{method: "GET", path: c.path})
		if a.status != 200 || !bytes.Contains(a.body, []byte(c.contains)) {
			t.Errorf("GET %s: %d %.200s; want 200 containing %s", c.path, a.status, a.body, c.contains)
		}
	}
	served := e.do(call{method: "GET", path: "/v1/openapi.json"})
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(served.body)
	if err != nil {
		t.Fatalf("served document does not load: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil || !doc.IsOpenAPI31OrLater() {
		t.Errorf("served document: valid=%v, 3.1=%v", err, doc.IsOpenAPI31OrLater())
	}
	for _, c := range []struct{ method, path, allow string }{
		{"PATCH", "/v1/datasets/x", "GET, PUT, DELETE"},
		{"DELETE", "/v1/decisions", "GET, POST"},
		{"DELETE", "/v1/check", "POST"},
	} {
		a := e.do(call{method: c.method, path: c.path, token: e.tokens[store.RoleAdmin], invalid: true})
		if a.status != 405 || a.header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q, want 405 Allow %q", c.method, c.path, a.status, a.header.Get("Allow"), c.allow)
		}
	}
	if a := e.do(call{method: "GET", path: "/v1/nothing", token: e.tokens[store.RoleAdmin]}); a.status != 404 {
		t.Errorf("unknown path: %d", a.status)
	}
}

func TestTokenStates(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	expired := e.token("acme", store.RoleRequester, now.Add(-2*time.Hour), time.Hour)
	revoked := e.token("acme", store.RoleRequester, now, 0)
	toks, _ := e.st.ListTokens(context.Background(), "acme")
	for _, tk := range toks {
		if string(tk.Hash) == string(store.HashToken(revoked)) {
			if err := e.st.RevokeToken(context.Background(), tk.ID, now.Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, hdr := range map[string]string{
		"expired":     "Bearer " + expired,
		"revoked":     "Bearer " + revoked,
		"basic auth":  "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
		"empty token": "Bearer ",
	} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/v1/datasets", nil)
		req.Header.Set("Authorization", hdr)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %d (WWW-Authenticate %q), want 401 with a challenge", name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

func TestDecisionIdentity(t *testing.T) {
	e := newEnv(t)
	req := e.tokens[store.RoleRequester]
	cases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"requester omitted: taken from the token", okRequest, 201, ""},
		{"requester naming the token's principal", `{"action":"access","requester":{"id":"acme","kind":"company","jurisdiction":"FR"},"data":{"location":"FR"}}`, 201, ""},
		{"requester naming another principal", `{"action":"access","requester":{"id":"dgsi","kind":"state-authority","jurisdiction":"FR"},"data":{"location":"FR"}}`, 403, "requester.id"},
		{"requester claiming another state", `{"action":"access","requester":{"id":"acme","kind":"company","jurisdiction":"CN"},"data":{"location":"FR"}}`, 409, "requester.jurisdiction"},
		{"requester claiming another kind", `{"action":"access","requester":{"kind":"state-authority"},"data":{"location":"FR"}}`, 409, "requester.kind"},
		{"requester claiming a role it does not have", `{"action":"access","requester":{"role":"processor"},"data":{"location":"FR"}}`, 409, "requester.role"},
		{"requester denying a registered headquarters", `{"action":"access","requester":{"headquarters":"FR"},"data":{"location":"FR"}}`, 409, "requester.headquarters"},
		{"requester repeating registered attributes", `{"action":"access","requester":{"id":"acme","headquarters":"BE","owners":{"FR":100}},"data":{"location":"FR"}}`, 201, ""},
		{"requester claiming other owners", `{"action":"access","requester":{"owners":{"US":100}},"data":{"location":"FR"}}`, 409, "requester.owners"},
		{"requester with duplicate members", `{"action":"access","requester":{"id":"acme","id":"dgsi"},"data":{"location":"FR"}}`, 400, "requester.id"},
		{"requester with an unknown field", `{"action":"access","requester":{"colour":"red"},"data":{"location":"FR"}}`, 400, "requester.colour"},
		{"requester with a wrong type", `{"action":"access","requester":{"ciio":"yes"},"data":{"location":"FR"}}`, 400, "requester.ciio"},
		{"on behalf of a principal it may act for", `{"action":"access","on_behalf_of":{"id":"dgsi","kind":"state-authority","jurisdiction":"FR"},"data":{"location":"DE"}}`, 201, ""},
		{"on behalf of a principal it may not act for", `{"action":"access","on_behalf_of":{"id":"cnil","kind":"state-authority","jurisdiction":"FR"},"data":{"location":"DE"}}`, 403, "on_behalf_of.id"},
		{"on behalf of, misstating its state", `{"action":"access","on_behalf_of":{"id":"dgsi","kind":"state-authority","jurisdiction":"DE"},"data":{"location":"DE"}}`, 409, "on_behalf_of.jurisdiction"},
		{"on behalf of, claiming another role (PIPL art. 41 reads it)", `{"action":"access","on_behalf_of":{"id":"dgsi","role":"processor"},"data":{"location":"DE"}}`, 409, "on_behalf_of.role"},
		{"on behalf of, claiming to be a CIIO", `{"action":"access","on_behalf_of":{"id":"dgsi","ciio":true},"data":{"location":"DE"}}`, 409, "on_behalf_of.ciio"},
		{"on behalf of, claiming owners", `{"action":"access","on_behalf_of":{"id":"dgsi","owners":{"US":60}},"data":{"location":"DE"}}`, 409, "on_behalf_of.owners"},
		{"on behalf of, claiming a headquarters", `{"action":"access","on_behalf_of":{"id":"dgsi","headquarters":"CN"},"data":{"location":"DE"}}`, 409, "on_behalf_of.headquarters"},
		{"on behalf of, by id only: attributes from the registry", `{"action":"access","on_behalf_of":{"id":"dgsi"},"data":{"location":"DE"}}`, 201, ""},
		{"on behalf of an unregistered principal it may act for", `{"action":"access","on_behalf_of":{"id":"ghost","kind":"state-authority","jurisdiction":"FR"},"data":{"location":"DE"}}`, 400, "on_behalf_of.id"},
		{"on behalf of, without an id", `{"action":"access","on_behalf_of":{"kind":"state-authority","jurisdiction":"FR"},"data":{"location":"DE"}}`, 400, "on_behalf_of.id"},
	}
	for _, c := range cases {
		a := e.do(call{method: "POST", path: "/v1/decisions", token: req, body: c.body, invalid: c.status == 400})
		if a.status != c.status || a.problem.Field != c.field {
			t.Errorf("%s: %d field %q (%s), want %d field %q", c.name, a.status, a.problem.Field, a.problem.Detail, c.status, c.field)
		}
		if c.status == 201 {
			got := e.dec.lastRequest()
			if got.Requester.ID != "acme" || got.Requester.Jurisdiction != "FR" || got.Requester.Kind != model.KindCompany ||
				got.Requester.Headquarters != "BE" || got.Requester.Owners["FR"] != 100 {
				t.Errorf("%s: decider saw requester %+v", c.name, got.Requester)
			}
			if got.OnBehalfOf != nil && (got.OnBehalfOf.Role != "intelligence" || got.OnBehalfOf.Kind != model.KindStateAuthority || got.OnBehalfOf.Jurisdiction != "FR") {
				t.Errorf("%s: on_behalf_of not completed from the store: %+v", c.name, got.OnBehalfOf)
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	tok := e.tokens[store.RoleRequester]
	op := e.tokens[store.RoleOperator]
	big := `{"action":"access","data":{"location":"FR"},"purpose":"` + strings.Repeat("x", 1<<20) + `"}`
	cases := []struct {
		name, method, path, token, body, ct string
		status                              int
		field                               string
		line                                int
	}{
		{"unknown field", "POST", "/v1/decisions", tok, `{"action":"access","data":{"location":"FR","colour":"red"}}`, "", 400, "data.colour", 0},
		{"unknown jurisdiction", "POST", "/v1/decisions", tok, `{"action":"access","data":{"location":"FR","subjects":{"XX":1}}}`, "", 400, "data.subjects.XX", 0},
		{"missing location", "POST", "/v1/check", tok, `{"action":"access","data":{}}`, "", 400, "data.location", 0},
		{"syntax error has line and column", "POST", "/v1/decisions", tok, "{\n\"action\": \"access\",\n}", "", 400, "", 3},
		{"duplicate key", "POST", "/v1/decisions", tok, `{"action":"access","action":"delete","data":{"location":"FR"}}`, "", 400, "action", 0},
		{"unknown transaction kind", "POST", "/v1/decisions", tok, `{"action":"access","data":{"location":"US"},"transaction":"data-brokering"}`, "", 400, "transaction", 0},
		{"history is the server's", "POST", "/v1/decisions", tok, `{"action":"access","data":{"location":"FR"},"history":{}}`, "", 400, "history", 0},
		{"not an object", "POST", "/v1/decisions", tok, `[1]`, "", 400, "", 0},
		{"too large", "POST", "/v1/decisions", tok, big, "", 413, "", 0},
		{"too large dataset", "POST", "/v1/datasets", op, big, "", 413, "", 0},
		{"wrong content type", "POST", "/v1/decisions", tok, okRequest, "text/plain", 415, "", 0},
		{"no content type on check", "POST", "/v1/check", tok, okRequest, "application/x-www-form-urlencoded", 415, "", 0},
		{"dataset unknown field", "POST", "/v1/datasets", op, `{"id":"a","location":"FR","owner":"me"}`, "", 400, "owner", 0},
		{"dataset wrong type", "POST", "/v1/datasets", op, `{"id":"a","location":"FR","records":"many"}`, "", 400, "records", 0},
		{"dataset unknown category", "POST", "/v1/datasets", op, `{"id":"a","location":"FR","categories":["personal.colour"]}`, "", 400, "categories[0]", 0},
		{"dataset negative subjects", "POST", "/v1/datasets", op, `{"id":"a","location":"FR","subjects":{"FR":-1}}`, "", 400, "subjects.FR", 0},
		{"dataset bad id", "POST", "/v1/datasets", op, `{"id":"../etc","location":"FR"}`, "", 400, "id", 0},
		{"dataset per-category count of a category it does not have", "POST", "/v1/datasets", op, `{"id":"a","location":"US","categories":["personal.contact"],"subjects_by_category":{"personal.health":{"US":900}}}`, "", 400, `subjects_by_category["personal.health"]`, 0},
		{"dataset per-category unknown category", "POST", "/v1/datasets", op, `{"id":"a","location":"US","subjects_by_category":{"health":{"US":900}}}`, "", 400, "subjects_by_category.health", 0},
		{"dataset per-category unknown jurisdiction", "POST", "/v1/datasets", op, `{"id":"a","location":"US","categories":["personal.health"],"subjects_by_category":{"personal.health":{"XX":900}}}`, "", 400, `subjects_by_category["personal.health"].XX`, 0},
		{"dataset per-category negative count", "POST", "/v1/datasets", op, `{"id":"a","location":"US","categories":["personal.health"],"subjects_by_category":{"personal.health":{"US":-1}}}`, "", 400, `subjects_by_category["personal.health"].US`, 0},
		{"dataset plain count below a category", "POST", "/v1/datasets", op, `{"id":"a","location":"US","categories":["personal.health"],"subjects":{"US":899},"subjects_by_category":{"personal.health":{"US":900}}}`, "", 400, "subjects.US", 0},
		{"per-category count of a category the request does not have", "POST", "/v1/decisions", tok, `{"action":"access","data":{"location":"FR","categories":["personal.contact"],"subjects_by_category":{"personal.health":{"FR":9}}}}`, "", 400, `data.subjects_by_category["personal.health"]`, 0},
		{"dataset wrong content type", "PUT", "/v1/datasets/a", op, `{"location":"FR"}`, "text/yaml", 415, "", 0},
		{"dataset id differs from path", "PUT", "/v1/datasets/a", op, `{"id":"b","location":"FR"}`, "", 400, "id", 0},
		{"override not an object", "PUT", "/v1/registry/blocs/x", op, `["DK"]`, "", 400, "", 0},
		{"override id differs from path", "PUT", "/v1/registry/blocs/x", op, `{"id":"y"}`, "", 400, "id", 0},
		{"explain not a boolean", "POST", "/v1/check?explain=maybe", tok, okRequest, "", 400, "explain", 0},
	}
	for _, c := range cases {
		a := e.do(call{method: c.method, path: c.path, token: c.token, body: c.body, contentType: c.ct, invalid: true})
		if a.status != c.status || a.problem.Field != c.field || a.problem.Line != c.line {
			t.Errorf("%s: %d field %q line %d (%s), want %d field %q line %d", c.name, a.status, a.problem.Field, a.problem.Line, a.problem.Detail, c.status, c.field, c.line)
		}
	}
	if e.dec.lastRequest() != nil {
		t.Error("a bad request reached the decider")
	}
	if ds, _ := e.st.ListDatasets(context.Background()); len(ds) != 0 {
		t.Errorf("bad input created datasets: %v", ds)
	}
}

func TestCatalogLabels(t *testing.T) {
	e := newEnv(t)
	if a := e.do(call{method: "POST", path: "/v1/datasets", token: e.tokens[store.RoleOperator], body: okDataset}); a.status != 201 {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	if a := e.do(call{method: "POST", path: "/v1/datasets", token: e.tokens[store.RoleOperator], body: okDataset}); a.status != 409 || a.problem.Field != "id" {
		t.Errorf("create twice: %d %+v", a.status, a.problem)
	}
	tok := e.tokens[store.RoleRequester]
	cases := []struct {
		name   string
		data   string
		status int
		field  string
	}{
		{"labels from the catalog", `{"dataset":"crm-eu"}`, 201, ""},
		{"agreeing labels", `{"dataset":"crm-eu","location":"FR","origin":["BE","FR"],"records":13}`, 201, ""},
		{"contradicting location", `{"dataset":"crm-eu","location":"DE"}`, 409, "data.location"},
		{"contradicting subjects", `{"dataset":"crm-eu","subjects":{"FR":1}}`, 409, "data.subjects"},
		{"contradicting categories", `{"dataset":"crm-eu","categories":["personal.health"]}`, 409, "data.categories"},
		{"label the catalog does not state", `{"dataset":"crm-eu","protections":["encrypted"]}`, 201, ""},
		{"unknown dataset", `{"dataset":"nope","location":"FR"}`, 400, "data.dataset"},
	}
	for _, c := range cases {
		a := e.do(call{method: "POST", path: "/v1/decisions", token: tok, body: `{"action":"access","data":` + c.data + `}`})
		if a.status != c.status || a.problem.Field != c.field {
			t.Errorf("%s: %d field %q (%s), want %d field %q", c.name, a.status, a.problem.Field, a.problem.Detail, c.status, c.field)
			continue
		}
		if c.status == 201 {
			d := e.dec.lastRequest().Data
			if d.Location != "FR" || d.Records != 13 || d.Subjects["BE"] != 1 || len(d.Origin) != 2 || d.Classification != "general" {
				t.Errorf("%s: decider saw data %+v", c.name, d)
			}
		}
	}
}

// TestCatalogCountsPerCategory: a dataset's counts per category are
// checked, complete its plain counts, and reach the request as labels; a
// request cannot claim fewer distinct people than the catalog counts.
func TestCatalogCountsPerCategory(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[store.RoleOperator]
	body := `{"id":"combined","location":"US","categories":["personal.health","personal.identifier.government"],"subjects_by_category":{"personal.health":{"US":900},"personal.identifier.government":{"US":150000}}}`
	a := e.do(call{method: "POST", path: "/v1/datasets", token: op, body: body})
	if a.status != 201 {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	var d store.Dataset
	if err := json.Unmarshal(a.body, &d); err != nil {
		t.Fatal(err)
	}
	if d.Subjects["US"] != 150900 || d.SubjectsByCategory["personal.health"]["US"] != 900 {
		t.Errorf("stored dataset %+v, want subjects US 150900 (the sum) and the per-category counts", d)
	}
	tok := e.tokens[store.RoleRequester]
	for _, c := range []struct {
		name   string
		data   string
		status int
		field  string
	}{
		{"labels from the catalog", `{"dataset":"combined"}`, 201, ""},
		{"fewer distinct people than the catalog", `{"dataset":"combined","subjects":{"US":150000}}`, 409, "data.subjects"},
		{"other per-category counts", `{"dataset":"combined","subjects_by_category":{"personal.health":{"US":10}}}`, 409, "data.subjects_by_category"},
	} {
		a := e.do(call{method: "POST", path: "/v1/decisions", token: tok, body: `{"action":"access","data":` + c.data + `}`})
		if a.status != c.status || a.problem.Field != c.field {
			t.Errorf("%s: %d field %q (%s), want %d field %q", c.name, a.status, a.problem.Field, a.problem.Detail, c.status, c.field)
			continue
		}
		if c.status == 201 {
			got := e.dec.lastRequest().Data
			if got.SubjectsIn("US", "personal.health") != 900 || got.SubjectsIn("US", "personal.identifier.government") != 150000 || got.Subjects["US"] != 150900 {
				t.Errorf("%s: decider saw data %+v", c.name, got)
			}
		}
	}
}

func TestDatasetCRUD(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[store.RoleOperator]
	if a := e.do(call{method: "POST", path: "/v1/datasets", token: op, body: okDataset}); a.status != 201 || a.header.Get("Location") != "/v1/datasets/crm-eu" {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	a := e.do(call{method: "PUT", path: "/v1/datasets/crm-eu", token: op, body: `{"location":"BE","cii":{"state":"BE","sector":"energy"}}`})
	var d store.Dataset
	json.Unmarshal(a.body, &d)
	if a.status != 200 || d.Location != "BE" || d.CII == nil || d.Records != 0 {
		t.Errorf("put: %d %s", a.status, a.body)
	}
	a = e.do(call{method: "GET", path: "/v1/datasets", token: op})
	var list struct{ Datasets []store.Dataset }
	json.Unmarshal(a.body, &list)
	if a.status != 200 || len(list.Datasets) != 1 || list.Datasets[0].Location != "BE" {
		t.Errorf("list: %d %s", a.status, a.body)
	}
	if a := e.do(call{method: "PUT", path: "/v1/datasets/none", token: op, body: `{"location":"BE"}`}); a.status != 404 {
		t.Errorf("put missing: %d", a.status)
	}
	if a := e.do(call{method: "DELETE", path: "/v1/datasets/crm-eu", token: op}); a.status != 204 {
		t.Errorf("delete: %d", a.status)
	}
	if a := e.do(call{method: "GET", path: "/v1/datasets/crm-eu", token: op}); a.status != 404 {
		t.Errorf("get deleted: %d", a.status)
	}
}

func TestRegistry(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[store.RoleOperator]
	if a := e.do(call{method: "PUT", path: "/v1/registry/agreements/fr-de-2027", token: op, body: `{"id":"fr-de-2027","parties":["FR","DE"]}`}); a.status != 201 || a.header.Get("Location") != "/v1/registry/agreements/fr-de-2027" {
		t.Fatalf("put: %d %s", a.status, a.body)
	}
	a := e.do(call{method: "GET", path: "/v1/registry/agreements", token: e.tokens[store.RoleAuthority]})
	var l struct {
		Items     []map[string]any
		Overrides []map[string]any
	}
	json.Unmarshal(a.body, &l)
	if a.status != 200 || len(l.Items) == 0 || len(l.Overrides) != 1 || l.Overrides[0]["id"] != "fr-de-2027" {
		t.Errorf("list: %d %.300s", a.status, a.body)
	}
	a = e.do(call{method: "GET", path: "/v1/registry/jurisdictions", token: op})
	if !bytes.Contains(a.body, []byte(`"FR"`)) {
		t.Errorf("jurisdictions lack FR: %.200s", a.body)
	}
	if a := e.do(call{method: "GET", path: "/v1/registry/planets", token: op, invalid: true}); a.status != 404 {
		t.Errorf("unknown kind: %d", a.status)
	}
	if a := e.do(call{method: "DELETE", path: "/v1/registry/agreements/nope", token: op}); a.status != 404 {
		t.Errorf("delete missing: %d", a.status)
	}
}

func TestGetDecision(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.Log = &fakeLog{ready: 1} })
	e.seedDecision("dec-ready", 0, "acme")
	e.seedDecision("dec-later", 5, "acme")
	e.seedDecision("dec-globex", 6, "globex")
	cases := []struct {
		name, path, token string
		status            int
		receipt           bool
	}{
		{"own decision with receipt", "/v1/decisions/dec-ready", e.tokens[store.RoleRequester], 200, true},
		{"own decision, receipt not yet", "/v1/decisions/dec-later", e.tokens[store.RoleRequester], 200, false},
		{"no waiting", "/v1/decisions/dec-ready?wait=0s", e.tokens[store.RoleRequester], 200, false},
		{"another principal's decision", "/v1/decisions/dec-globex", e.tokens[store.RoleRequester], 404, false},
		{"auditor reads any", "/v1/decisions/dec-globex", e.tokens[store.RoleAuditor], 200, false},
		{"missing", "/v1/decisions/dec-none", e.tokens[store.RoleAuditor], 404, false},
		{"bad wait", "/v1/decisions/dec-ready?wait=forever", e.tokens[store.RoleAuditor], 400, false},
	}
	for _, c := range cases {
		a := e.do(call{method: "GET", path: c.path, token: c.token})
		if a.status != c.status {
			t.Errorf("%s: %d, want %d (%s)", c.name, a.status, c.status, a.body)
			continue
		}
		if c.status != 200 {
			continue
		}
		var rec api.DecisionRecord
		if err := json.Unmarshal(a.body, &rec); err != nil {
			t.Fatal(err)
		}
		if (rec.Receipt != nil) != c.receipt || rec.Decision.LogIndex == nil || !rec.Decision.Binding || rec.Decision.ID == "" {
			t.Errorf("%s: got %s", c.name, a.body)
		}
	}
}

// errNotCommitted stands for decide.ErrNotCommitted.
var errNotCommitted = errors.New("decision logged but not committed; a void entry was appended")

// errBadInput stands for decide.ErrBadInput.
var errBadInput = errors.New("bad input")

func TestDecideFailures(t *testing.T) {
	status := func(err error) int {
		switch {
		case errors.Is(err, errNotCommitted):
			return 500
		case errors.Is(err, errBadInput):
			return 400
		}
		return 0
	}
	e := newEnv(t, func(c *api.Config) { c.ErrorStatus = status })
	tok := e.tokens[store.RoleRequester]
	cases := []struct {
		name   string
		err    error
		status int
	}{
		{"bad authorization envelope", fmt.Errorf("%w: basis.authorizations: signature does not verify", errBadInput), 400},
		{"counters unreadable (database down)", fmt.Errorf("read history counters: %w", store.ErrUnavailable), 503},
		{"log append failed", errors.New("append decision to log: disk full"), 500},
		{"log append timed out", fmt.Errorf("append decision to log: %w", context.DeadlineExceeded), 503},
		{"client went away", fmt.Errorf("read history counters: %w", context.Canceled), 503},
		{"commit failed after append, void appended", fmt.Errorf("%w (index 7): %v", errNotCommitted, store.ErrUnavailable), 500},
	}
	for _, c := range cases {
		e.dec.err = c.err
		a := e.do(call{method: "POST", path: "/v1/decisions", token: tok, body: okRequest})
		if a.status != c.status {
			t.Errorf("%s: %d, want %d", c.name, a.status, c.status)
		}
		if c.status >= 500 && strings.Contains(a.problem.Detail, "disk") {
			t.Errorf("%s: internal detail leaked: %q", c.name, a.problem.Detail)
		}
		if a.header.Get("Location") != "" {
			t.Errorf("%s: failed decision has a Location", c.name)
		}
	}
	e.dec.err = nil
	a := e.do(call{method: "POST", path: "/v1/decisions", token: tok, body: okRequest})
	var rec api.DecisionRecord
	json.Unmarshal(a.body, &rec)
	d := rec.Decision
	if a.status != 201 || !d.Binding || d.LogIndex == nil || a.header.Get("Location") != "/v1/decisions/"+d.ID {
		t.Errorf("after failures: %d %s", a.status, a.body)
	}
	a = e.do(call{method: "POST", path: "/v1/check", token: tok, body: okRequest})
	var dry model.Decision
	json.Unmarshal(a.body, &dry)
	if a.status != 200 || dry.Binding || dry.LogIndex != nil || dry.ID != "" {
		t.Errorf("check: %d %s", a.status, a.body)
	}
	m := e.do(call{method: "GET", path: "/metrics"})
	for _, want := range []string{`accord_decisions_total{outcome="allow"} 1`, `accord_pack_decisions_total{outcome="allow",pack="gdsi"} 1`, `accord_decision_failures_total{endpoint="decide",status="503"} 3`} {
		if !bytes.Contains(m.body, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestDatabaseDown(t *testing.T) {
	e := newEnv(t)
	if a := e.do(call{method: "GET", path: "/readyz"}); a.status != 200 {
		t.Fatalf("readyz: %d", a.status)
	}
	e.st.Close()
	if a := e.do(call{method: "GET", path: "/readyz"}); a.status != 503 || a.header.Get("Retry-After") == "" {
		t.Errorf("readyz with the database down: %d, want 503 with Retry-After", a.status)
	}
	for _, c := range []call{
		{method: "POST", path: "/v1/decisions", body: okRequest, token: e.tokens[store.RoleRequester]},
		{method: "POST", path: "/v1/datasets", body: okDataset, token: e.tokens[store.RoleOperator]},
	} {
		if a := e.do(c); a.status != 503 {
			t.Errorf("%s %s with the database down: %d, want 503", c.method, c.path, a.status)
		}
	}
	if a := e.do(call{method: "GET", path: "/healthz"}); a.status != 200 {
		t.Errorf("healthz: %d", a.status)
	}
}

func TestOverrideCheck(t *testing.T) {
	var seen []store.Override
	e := newEnv(t, func(c *api.Config) {
		c.CheckOverrides = func(ctx context.Context, all []store.Override) error {
			seen = all
			for _, o := range all {
				if strings.Contains(string(o.Body), "XX") {
					return errors.New("api-overrides.yaml:4: unknown jurisdiction XX")
				}
			}
			return nil
		}
	})
	op := e.tokens[store.RoleOperator]
	if a := e.do(call{method: "PUT", path: "/v1/registry/blocs/nordic", token: op, body: `{"members":["DK","SE"]}`}); a.status != 201 {
		t.Fatalf("good override: %d %s", a.status, a.body)
	}
	a := e.do(call{method: "PUT", path: "/v1/registry/blocs/bad", token: op, body: `{"members":["XX"]}`})
	if a.status != 400 || !strings.Contains(a.problem.Detail, "unknown jurisdiction XX") {
		t.Errorf("bad override: %d %s", a.status, a.body)
	}
	if len(seen) != 2 {
		t.Errorf("the check saw %d overrides, want the stored one and the new one", len(seen))
	}
	if _, err := e.st.Override(context.Background(), "bloc", "bad"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused override was stored: %v", err)
	}
	if a := e.do(call{method: "DELETE", path: "/v1/registry/blocs/nordic", token: op}); a.status != 204 || len(seen) != 0 {
		t.Errorf("delete: %d, check saw %d", a.status, len(seen))
	}
}

func TestAuthCache(t *testing.T) {
	var clock atomic.Pointer[time.Time]
	start := time.Now()
	clock.Store(&start)
	e := newEnv(t, func(c *api.Config) {
		c.AuthCacheTTL = time.Minute
		c.Now = func() time.Time { return *clock.Load() }
	})
	at := func(d time.Duration) { t2 := start.Add(d); clock.Store(&t2) }
	short := e.token("acme", store.RoleRequester, start, 30*time.Second)
	long := e.tokens[store.RoleRequester]
	get := func(secret string) int {
		return e.do(call{method: "GET", path: "/v1/datasets", token: secret}).status
	}
	if get(short) != 200 || get(long) != 200 {
		t.Fatal("fresh tokens refused")
	}
	toks, _ := e.st.ListTokens(context.Background(), "acme")
	for _, tk := range toks {
		if string(tk.Hash) == string(store.HashToken(long)) {
			if err := e.st.RevokeToken(context.Background(), tk.ID, start.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}
	}
	at(10 * time.Second)
	if got := get(long); got != 200 {
		t.Errorf("revoked token within the cache TTL: %d, want 200 (cached)", got)
	}
	at(31 * time.Second)
	if got := get(short); got != 401 {
		t.Errorf("expired token within the cache TTL: %d, want 401 (expiry is always checked)", got)
	}
	at(61 * time.Second)
	if got := get(long); got != 401 {
		t.Errorf("revoked token after the cache TTL: %d, want 401", got)
	}
}

// TestBindingTimeIsTheServers: a binding decision is made at the server's
// clock. A body that names a time (backdated to honour a revoked
// authorization, or far off to empty the counter windows) is refused,
// naming time, and nothing is decided; a non-binding check still evaluates
// at the time asked.
func TestBindingTimeIsTheServers(t *testing.T) {
	e := newEnv(t)
	tok := e.tokens[store.RoleRequester]
	for _, tm := range []string{`"2026-11-22T09:59:59Z"`, `"9999-12-31T23:59:59Z"`, `"0001-01-01T00:00:00Z"`, `null`} {
		e.dec.mu.Lock()
		e.dec.last = nil
		e.dec.mu.Unlock()
		body := strings.Replace(okRequest, `{"action"`, `{"time":`+tm+`,"action"`, 1)
		a := e.do(call{method: "POST", path: "/v1/decisions", token: tok, body: body, invalid: true})
		if a.status != 400 || a.problem.Field != "time" || !strings.Contains(a.problem.Detail, "/v1/check") {
			t.Errorf("decision with time %s: %d field %q (%s), want 400 naming time and pointing to /v1/check", tm, a.status, a.problem.Field, a.problem.Detail)
		}
		if e.dec.lastRequest() != nil {
			t.Errorf("decision with time %s reached the decider", tm)
		}
	}
	body := strings.Replace(okRequest, `{"action"`, `{"time":"2026-01-02T03:04:05Z","action"`, 1)
	a := e.do(call{method: "POST", path: "/v1/check", token: tok, body: body})
	if a.status != 200 {
		t.Fatalf("check with a time: %d (%s)", a.status, a.problem.Detail)
	}
	if got := e.dec.lastRequest(); got == nil || !got.Time.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("check evaluated at %v, want the time asked", got)
	}
}

// TestBindingBodyCaseVariants: Go's decoder matches member names without
// regard to case; none of the binding checks may be passed by spelling a
// member another way ("Time", "Requester", "On_Behalf_Of").
func TestBindingBodyCaseVariants(t *testing.T) {
	e := newEnv(t)
	tok := e.tokens[store.RoleRequester]
	for _, body := range []string{
		strings.Replace(okRequest, `{"action"`, `{"Time":"2026-01-01T00:00:00Z","action"`, 1),
		strings.Replace(okRequest, `{"action"`, `{"TIME":"2026-01-01T00:00:00Z","action"`, 1),
		strings.Replace(okRequest, `{"action"`, `{"Requester":{"id":"dgsi","kind":"state-authority","jurisdiction":"FR"},"action"`, 1),
		strings.Replace(okRequest, `{"action"`, `{"On_Behalf_Of":{"id":"dgsi","role":"processor"},"action"`, 1),
		strings.Replace(okRequest, `{"action"`, `{"History":{},"action"`, 1),
	} {
		e.dec.mu.Lock()
		e.dec.last = nil
		e.dec.mu.Unlock()
		a := e.do(call{method: "POST", path: "/v1/decisions", token: tok, body: body, invalid: true})
		if a.status != 400 {
			t.Errorf("%s: %d %s, want 400", body[:40], a.status, a.problem.Detail)
		}
		if e.dec.lastRequest() != nil {
			t.Errorf("%s reached the decider", body[:40])
		}
	}
}
