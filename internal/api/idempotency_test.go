package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/sqlite"
)

func (f *fakeDecider) decided() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.next
}

func withKey(key string) map[string]string { return map[string]string{"Idempotency-Key": key} }

// TestIdempotencyKeyHeader: a malformed Idempotency-Key is 400 naming it,
// and nothing is decided.
func TestIdempotencyKeyHeader(t *testing.T) {
	e := newEnv(t)
	for name, key := range map[string]string{
		"empty":             `""`,
		"too long":          strings.Repeat("k", 256),
		"control character": "a\tb",
		"bad quoting":       `"abc`,
		"non-ASCII":         "clé",
	} {
		t.Run(name, func(t *testing.T) {
			a := e.do(call{method: "POST", path: "/v1/decisions", token: e.tokens[store.RoleRequester], body: okRequest, header: withKey(key), invalid: true})
			if a.status != http.StatusBadRequest || !strings.Contains(a.problem.Detail, "Idempotency-Key") {
				t.Errorf("%d %s; want 400 naming Idempotency-Key", a.status, a.body)
			}
		})
	}
	if n := e.dec.decided(); n != 0 {
		t.Errorf("%d decisions made on bad keys", n)
	}
	// Twice the header: 400.
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/decisions", strings.NewReader(okRequest))
	req.Header.Set("Authorization", "Bearer "+e.tokens[store.RoleRequester])
	req.Header.Set("Content-Type", "application/json")
	req.Header.Add("Idempotency-Key", "a")
	req.Header.Add("Idempotency-Key", "b")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("two Idempotency-Key fields: %d, want 400", resp.StatusCode)
	}
}

// TestIdempotentReplay: with a key, a retry is answered from the store; the
// quoted and the bare form are one key; a failure keeps nothing, so its
// retry is processed afresh; a create that would conflict when repeated is
// replayed instead.
func TestIdempotentReplay(t *testing.T) {
	e := newEnv(t)
	tok := e.tokens[store.RoleRequester]
	first := e.do(call{method: "POST", path: "/v1/decisions", token: tok, body: okRequest, header: withKey(`"k-1"`)})
	again := e.do(call{method: "POST", path: "/v1/decisions", token: tok, body: okRequest, header: withKey(`k-1`)})
	if first.status != http.StatusCreated || again.status != first.status || string(again.body) != string(first.body) ||
		again.header.Get("Location") != first.header.Get("Location") || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %s %v; first %d %s", again.status, again.body, again.header, first.status, first.body)
	}
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Error("the first answer says it is replayed")
	}
	if n := e.dec.decided(); n != 1 {
		t.Fatalf("%d decisions for one key, want 1", n)
	}
	reused := e.do(call{method: "POST", path: "/v1/decisions", token: tok, body: strings.Replace(okRequest, `"FR":12`, `"FR":13`, 1), header: withKey("k-1")})
	if reused.status != http.StatusUnprocessableEntity || !strings.HasSuffix(reused.problem.Type, "/idempotency-key-reused") || !strings.Contains(reused.problem.Detail, "Idempotency-Key") {
		t.Errorf("same key, other body: %d %s", reused.status, reused.body)
	}
	// A failure keeps nothing: the retry decides.
	e.dec.err = fmt.Errorf("wrapped: %w", store.ErrUnavailable)
	if a := e.do(call{method: "POST", path: "/v1/decisions", token: tok, body: okRequest, header: withKey("k-2")}); a.status != http.StatusServiceUnavailable {
		t.Fatalf("failing decider: %d %s", a.status, a.body)
	}
	e.dec.err = nil
	if a := e.do(call{method: "POST", path: "/v1/decisions", token: tok, body: okRequest, header: withKey("k-2")}); a.status != http.StatusCreated || a.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry after a failure: %d %s (replayed %q); want a fresh 201", a.status, a.body, a.header.Get("Idempotent-Replayed"))
	}
	if n := e.dec.decided(); n != 2 {
		t.Fatalf("%d decisions, want 2", n)
	}

	// A dataset created with a key: the retry gets the 201, not 409.
	op := e.tokens[store.RoleOperator]
	c1 := e.do(call{method: "POST", path: "/v1/datasets", token: op, body: okDataset, header: withKey("ds-1")})
	c2 := e.do(call{method: "POST", path: "/v1/datasets", token: op, body: okDataset, header: withKey("ds-1")})
	if c1.status != http.StatusCreated || c2.status != http.StatusCreated || string(c1.body) != string(c2.body) ||
		c2.header.Get("Accord-Log-Index") != c1.header.Get("Accord-Log-Index") || c2.header.Get("ETag") != c1.header.Get("ETag") || c1.header.Get("ETag") == "" {
		t.Errorf("dataset create retried: %d then %d %s", c1.status, c2.status, c2.body)
	}
	if c3 := e.do(call{method: "POST", path: "/v1/datasets", token: op, body: okDataset}); c3.status != http.StatusConflict {
		t.Errorf("dataset create without a key, again: %d, want 409", c3.status)
	}
}

// TestIdempotencyKeySurvivesRestart: the key and its answer are in the
// database, so a retry sent to a new server on the same database is
// answered from it.
func TestIdempotencyKeySurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "accord.db")
	dec := &fakeDecider{}
	serve := func() (*httptest.Server, store.Store) {
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		return httptest.NewServer(api.New(api.Config{Store: st, Decider: dec, Registry: sharedRegistry})), st
	}
	srv, st := serve()
	if err := st.PutPrincipal(ctx, principals[0]); err != nil {
		t.Fatal(err)
	}
	secret, tok, _ := store.NewToken("acme", store.RoleRequester, time.Now(), 0)
	if err := st.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	post := func(srv *httptest.Server) (int, string, string) {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/decisions", strings.NewReader(okRequest))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "restart-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header.Get("Idempotent-Replayed")
	}
	s1, b1, _ := post(srv)
	srv.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	srv2, st2 := serve()
	defer st2.Close()
	defer srv2.Close()
	s2, b2, replayed := post(srv2)
	if s1 != http.StatusCreated || s2 != s1 || b2 != b1 || replayed != "true" {
		t.Fatalf("after a restart: %d %s (replayed %q); first %d %s", s2, b2, replayed, s1, b1)
	}
	if n := dec.decided(); n != 1 {
		t.Fatalf("%d decisions across the restart, want 1", n)
	}
}

// TestIdempotentLawful: a lodged statement and an MLA step retried with
// their key append nothing more to the log.
func TestIdempotentLawful(t *testing.T) {
	le := newLawfulEnv(t)
	env := le.sign("cn-moj", authorization("CN-A-9", "cn-moj", "CN"))
	for range 2 {
		a := le.do(call{method: "POST", path: "/v1/authorizations", token: le.tokens["cn-moj"], body: env, header: withKey("lodge-1")})
		if a.status != http.StatusCreated {
			t.Fatalf("lodge with a key: %d %s", a.status, a.body)
		}
	}
	open := `{"id":"FR-2026-9","requested_state":"CN","provider":"mailco-cn","scope":{"purposes":["law-enforcement"],"categories":["personal.contact"],"max_subjects":2}}`
	for range 2 {
		a := le.do(call{method: "POST", path: "/v1/mla", token: le.tokens["fr-bepi"], body: open, header: withKey("open-1")})
		if a.status != http.StatusCreated {
			t.Fatalf("open with a key: %d %s", a.status, a.body)
		}
	}
	for range 2 {
		a := le.do(call{method: "POST", path: "/v1/mla/FR-2026-9/receive", token: le.tokens["cn-moj"], header: withKey("receive-1")})
		if a.status != http.StatusOK {
			t.Fatalf("receive with a key: %d %s", a.status, a.body)
		}
	}
	if got, want := strings.Join(le.log.kinds(), " "), "authorization:CN-A-9 mla-transition:FR-2026-9:opened mla-transition:FR-2026-9:received"; got != want {
		t.Fatalf("log = %s, want %s", got, want)
	}
}
