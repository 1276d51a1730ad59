package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/sqlite"
)

// Until the store drivers implement store.RegistryChanges (they answer
// "not implemented yet" in this branch), serve's store is wrapped so that
// those two methods fall back to memChanges. A driver that implements them
// is used as is.
// grantStatement is an authorization by fr-bepi for bka (a German
// law-enforcement authority, a requester of the demo world) to obtain
// contact data located in France for law enforcement.
func grantStatement() *authz.Statement {
	now := time.Now().UTC().Truncate(time.Second)
	return &authz.Statement{ID: "FR-BEPI-TEST-1", Type: authz.TypeAuthorization, Issuer: "fr-bepi", IssuerJurisdiction: "FR",
		Grantee: "bka", Scope: &authz.Scope{Purposes: []string{"law-enforcement"}, Categories: []string{"personal.contact"}},
		ValidFrom: now.Add(-time.Hour), ValidTo: now.Add(24 * time.Hour)}
}

// relyingRequest is bka's request for contact data of one person located
// in France, relying on envs (authorizations by fr-bepi).
func relyingRequest(t *testing.T, envs ...model.Envelope) string {
	t.Helper()
	req := map[string]any{
		"action": "access", "purpose": "law-enforcement", "destination": "DE",
		"data":      map[string]any{"location": "FR", "origin": []string{"FR"}, "categories": []string{"personal.contact"}, "subjects": map[string]int{"FR": 1}, "records": 1},
		"selectors": map[string]any{"kind": "specific", "count": 1},
		"basis":     map[string]any{"kind": "mla", "ref": "MLA-TEST-1", "authorizations": append([]model.Envelope{}, envs...)},
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func signWith(t *testing.T, st *authz.Statement, priv ed25519.PrivateKey) model.Envelope {
	t.Helper()
	env, err := authz.Sign(context.Background(), st, priv)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// needsFR reports whether d still waits for (or is denied for want of)
// France's authorization.
func needsFR(d model.Decision) bool {
	for _, r := range d.Requires {
		if r.AuthorizationFrom == "FR" {
			return true
		}
	}
	return false
}

// authorityBody is fr-bepi's registry entry with pub as its key.
func authorityBody(t *testing.T, pub ed25519.PublicKey) string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"id": "fr-bepi", "name": "Bureau de l'entraide pénale internationale", "kind": "state-authority",
		"role": "central-authority", "jurisdiction": "FR", "source": "https://www.justice.gouv.fr", "override": true,
		"public_key": authz.EncodePublicKey(pub)})
	return string(b)
}

// TestServeAuthorityKeyChange runs `accord serve --demo`: an operator may
// not replace fr-bepi's key (403); an admin may, and then the change is in
// the log (a registry-change entry naming fr-bepi with the new key's
// fingerprint) and in GET /v1/registry/changes, and a binding decision
// relying on an authorization signed with the new key is judged with it at
// once, without a restart.
func TestServeAuthorityKeyChange(t *testing.T) {
	dir := t.TempDir()
	s := startDemo(t, dir)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	body := relyingRequest(t, signWith(t, grantStatement(), priv))

	var problem api.Problem
	if st := s.call(t, "POST", "/v1/decisions", "BKA", body, &problem); st != 400 || !strings.Contains(problem.Detail, "not a registered authority with a public key") {
		t.Fatalf("before the key is registered: %d %q; want 400, fr-bepi has no key", st, problem.Detail)
	}

	path := "/v1/registry/authorities/fr-bepi"
	if st := s.call(t, "PUT", path, "OPERATOR", authorityBody(t, pub), &problem); st != 403 || !strings.Contains(problem.Detail, "admin") {
		t.Fatalf("operator PUT of an authority key: %d %q, want 403 naming admin", st, problem.Detail)
	}
	var changes api.ChangeList
	if s.call(t, "GET", "/v1/registry/changes?kind=authority", "AUDITOR", "", &changes); len(changes.Changes) != 0 {
		t.Fatalf("a refused change is listed: %+v", changes.Changes)
	}

	var doc api.OverrideDocument
	if st := s.call(t, "PUT", path, "ADMIN", authorityBody(t, pub), &doc); st != 201 || doc.LogIndex == nil {
		t.Fatalf("admin PUT: %d %+v", st, doc)
	}
	sum := sha256.Sum256(pub)
	fp := hex.EncodeToString(sum[:])
	if doc.KeyFingerprint != fp {
		t.Errorf("answer fingerprint %s, want %s", doc.KeyFingerprint, fp)
	}

	// Judged with the new key at once.
	var afterRec api.DecisionRecord
	st := s.call(t, "POST", "/v1/decisions", "BKA", body, &afterRec)
	after := afterRec.Decision
	if st != 201 || needsFR(after) {
		t.Fatalf("after the key change: %d %s %+v; want FR's authorization counted", st, after.Outcome, after.Requires)
	}
	if after.LogIndex == nil || *after.LogIndex <= *doc.LogIndex {
		t.Errorf("decision at log index %v, change at %d: the change must be logged first", after.LogIndex, *doc.LogIndex)
	}

	// The listing and the lodging of statements see the new key too.
	var list struct {
		Items []struct {
			ID        string `json:"id"`
			PublicKey string `json:"public_key"`
		} `json:"items"`
	}
	s.call(t, "GET", "/v1/registry/authorities", "AUDITOR", "", &list)
	listed := false
	for _, a := range list.Items {
		listed = listed || a.ID == "fr-bepi" && a.PublicKey == authz.EncodePublicKey(pub)
	}
	if !listed {
		t.Error("GET /v1/registry/authorities does not show fr-bepi's new key")
	}
	lodge := grantStatement()
	lodge.ID = "FR-BEPI-TEST-2"
	envJSON, _ := json.Marshal(signWith(t, lodge, priv))
	if st := s.call(t, "POST", "/v1/authorizations", "FR_BEPI", string(envJSON), nil); st != 201 {
		t.Errorf("lodging an authorization signed with the new key: %d, want 201", st)
	}

	// A state watching sees it: the API list and the public log.
	if st := s.call(t, "GET", "/v1/registry/changes?kind=authority&id=fr-bepi", "FR_BEPI", "", &changes); st != 200 || len(changes.Changes) != 1 ||
		changes.Changes[0].KeyFingerprint != fp || changes.Changes[0].LogIndex != *doc.LogIndex {
		t.Fatalf("changes as fr-bepi sees them: %d %+v", st, changes.Changes)
	}
	e := entryAt(t, dir, *doc.LogIndex)
	if e.Kind != ledger.KindRegistryChange || e.Subject != "fr-bepi" || e.Jurisdiction != "FR" || e.KeyFingerprint != fp {
		t.Errorf("log entry %d = %+v; want registry-change for fr-bepi (FR) with fingerprint %s", *doc.LogIndex, e, fp)
	}

	// A restart finds nothing new to log, and the key still rules.
	s.stop()
	s = startDemo(t, dir)
	if again := loggedChanges(s.stderr.String()); len(again) != 0 {
		t.Errorf("the restart logged %v again", again)
	}
	if st := s.call(t, "POST", "/v1/decisions", "BKA", body, &after); st != 201 || needsFR(after) {
		t.Errorf("after a restart: %d %+v; want FR's authorization counted", st, after.Requires)
	}
}

// entryAt reads the entry at index from the log under dir, waiting for a
// checkpoint that covers it.
func entryAt(t *testing.T, dir string, index uint64) ledger.Entry {
	t.Helper()
	src, err := ledger.OpenSource(filepath.Join(dir, "log"), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "keys", "log.pub"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := logVerifierFor(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r, err := ledger.ReceiptFrom(context.Background(), src, v, "", index)
		if err == nil {
			e, err := ledger.ParseEntry(r.Entry)
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		if !errors.Is(err, ledger.ErrNotPublished) || time.Now().After(deadline) {
			t.Fatalf("entry %d: %v", index, err)
		}
	}
}

// TestRegistryChangeLogDown builds serve's live registry, log and API by
// hand: fr-bepi gets key A, then the log fails and an admin's change to
// key B is refused with 503 and Retry-After, nothing is stored, and key A
// still rules.
func TestRegistryChangeLogDown(t *testing.T) {
	ctx := context.Background()
	old := dataDir
	dataDir = t.TempDir()
	defer func() { dataDir = old }()
	db, err := sqlite.Open(ctx, filepath.Join(dataDir, "accord.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var st store.Store = db
	lg, err := ledger.Open(ctx, filepath.Join(dataDir, "log"), ledger.Options{Origin: "accord.example/test", CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	metrics := api.NewMetrics()
	live, err := newLiveRegistry(serveDeps{store: st, log: lg, metrics: metrics, packs: "auto"}, nil, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := seedDemo(ctx, st, &bytes.Buffer{}, ""); err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, h := range []struct{ principal, role string }{{"demo-admin", store.RoleAdmin}, {"bka", store.RoleRequester}} {
		secret, tok, _ := store.NewToken(h.principal, h.role, time.Now(), time.Hour)
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		tokens[h.role] = secret
	}
	defer lg.Close()
	changes := &switchLog{Appender: changeLog{log: lg, metrics: metrics}}
	srv := httptest.NewServer(api.New(api.Config{Store: st, Decider: live, Registry: live, Log: lg, Metrics: metrics, ErrorStatus: live.status,
		RegistryChanges: &api.RegistryChanges{Log: changes, Prepare: live.Prepare}}))
	defer srv.Close()
	do := func(method, path, token, body string, out any) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		setPrecondition(req, srv.URL, req.Header.Get("Authorization"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			json.NewDecoder(resp.Body).Decode(out)
		}
		return resp
	}

	put := func(pub ed25519.PublicKey) *http.Response {
		return do("PUT", "/v1/registry/authorities/fr-bepi", tokens[store.RoleAdmin], authorityBody(t, pub), nil)
	}
	// counted reports whether FR's authorization, signed with priv, counts.
	counted := func(priv ed25519.PrivateKey) bool {
		t.Helper()
		var d model.Decision
		resp := do("POST", "/v1/check", tokens[store.RoleRequester], relyingRequest(t, signWith(t, grantStatement(), priv)), &d)
		return resp.StatusCode == 200 && !needsFR(d)
	}
	// Without an authorization the request waits for France's: what
	// "counted" tells apart.
	var bare model.Decision
	if resp := do("POST", "/v1/check", tokens[store.RoleRequester], relyingRequest(t), &bare); resp.StatusCode != 200 || !needsFR(bare) {
		t.Fatalf("request without authorization: %d %+v; want it to need FR's authorization", resp.StatusCode, bare.Requires)
	}
	pubA, privA, _ := ed25519.GenerateKey(rand.Reader)
	pubB, privB, _ := ed25519.GenerateKey(rand.Reader)
	if resp := put(pubA); resp.StatusCode != 201 || !counted(privA) {
		t.Fatalf("key A with the log up: %d, counted %v", resp.StatusCode, counted(privA))
	}

	changes.down.Store(true) // the log is gone
	resp := put(pubB)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("key change with the log down: %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	o, err := st.Override(ctx, "authority", "fr-bepi")
	if err != nil || !strings.Contains(string(o.Body), authz.EncodePublicKey(pubA)) {
		t.Errorf("stored override after the refused change: %s, %v; want key A's", o.Body, err)
	}
	if cs, _ := st.ListRegistryChanges(ctx, 0, 0); len(cs) != 1 {
		t.Errorf("%d changes recorded, want only key A's", len(cs))
	}
	if !counted(privA) || counted(privB) {
		t.Errorf("after the refused change: key A counts %v, key B counts %v; want A only", counted(privA), counted(privB))
	}
	if k, ok := live.AuthorityKey("fr-bepi"); !ok || !k.PublicKey.Equal(pubA) {
		t.Errorf("live key of fr-bepi = %x, want key A", k.PublicKey)
	}
}

// switchLog is the log with a switch that makes every append fail, as a
// full disk would.
type switchLog struct {
	api.Appender
	down atomic.Bool
}

func (l *switchLog) Append(ctx context.Context, e ledger.Entry) (uint64, error) {
	if l.down.Load() {
		return 0, fmt.Errorf("append: %w", ledger.ErrClosed)
	}
	return l.Appender.Append(ctx, e)
}

// runServeOnce starts `accord serve` with args on dir, waits until it
// serves, stops it and returns its log output.
func runServeOnce(t *testing.T, dir string, args ...string) string {
	t.Helper()
	s := startServe(t, dir, args...)
	s.stop()
	return s.stderr.String()
}

// startServe is startDemo without --demo and with extra args.
func startServe(t *testing.T, dir string, args ...string) *demoServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	prev := routeTesseraLogs
	routeTesseraLogs = func(*slog.Logger) {}
	resetFlags(rootCmd)
	rootCmd.SetOut(&stdout)
	rootCmd.SetErr(&stderr)
	rootCmd.SetArgs(append(append([]string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--checkpoint-interval", "100ms"}, firstStartOrigin(dir)...), args...))
	done := make(chan error, 1)
	go func() { done <- rootCmd.ExecuteContext(ctx) }()
	stopped := false
	s := &demoServer{stderr: &stderr}
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve ended with %v\n%s", err, stderr.String())
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
		rootCmd.SetArgs(nil)
		routeTesseraLogs = prev
	}
	t.Cleanup(s.stop)
	for deadline := time.Now().Add(15 * time.Second); s.base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("serve ended before serving: %v\n%s", err, stderr.String())
		default:
		}
		for _, line := range strings.Split(stderr.String(), "\n") {
			var l struct{ Msg, URL string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "accord serving" {
				s.base = l.URL
			}
		}
	}
	if s.base == "" {
		t.Fatalf("server did not start:\n%s", stderr.String())
	}
	return s
}

// loggedChanges lists the "change logged" lines of a serve run as
// kind/id.
func loggedChanges(out string) []string {
	var got []string
	for _, line := range strings.Split(out, "\n") {
		var l struct{ Msg, Kind, ID string }
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "change logged" {
			got = append(got, l.Kind+"/"+l.ID)
		}
	}
	return got
}

// TestServePackChanges: the packs in use, the registry files and the
// authority keys are logged at the first start, not again at a start with
// the same ones; a pack of a new version, a changed registry file and a new
// key are logged at the next start, each once.
func TestServePackChanges(t *testing.T) {
	dir := t.TempDir()
	packDir, regDir := t.TempDir(), t.TempDir()
	writePack := func(version string) {
		src, err := os.ReadFile(filepath.Join("testdata", "registry", "pack.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(packDir, "acme.yaml"), bytes.ReplaceAll(src, []byte("VERSION"), []byte(version)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writePack("1.0.0")
	args := []string{"--packs", "gdsi," + packDir, "--registry", regDir}

	first := loggedChanges(runServeOnce(t, dir, args...))
	want := []string{"pack/acme", "pack/gdsi", "registry-files/registry-files"}
	if !slices.Equal(first, want) {
		t.Fatalf("first start logged %v, want %v", first, want)
	}
	if again := loggedChanges(runServeOnce(t, dir, args...)); len(again) != 0 {
		t.Fatalf("a start with the same packs and files logged %v again", again)
	}

	// A new pack version, a registry file that gives fr-bepi a key: each
	// logged once.
	writePack("1.1.0")
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	reg := fmt.Sprintf(`version: "test-1"
authorities:
  - id: fr-bepi
    name: "Bureau de l'entraide pénale internationale (test key)"
    kind: state-authority
    role: central-authority
    jurisdiction: FR
    public_key: %s
    source: https://www.justice.gouv.fr
    override: true
`, authz.EncodePublicKey(pub))
	if err := os.WriteFile(filepath.Join(regDir, "keys.yaml"), []byte(reg), 0o600); err != nil {
		t.Fatal(err)
	}
	third := loggedChanges(runServeOnce(t, dir, args...))
	want = []string{"authority-key/fr-bepi", "pack/acme", "registry-files/registry-files"}
	if !slices.Equal(third, want) {
		t.Fatalf("after the changes: logged %v, want %v", third, want)
	}
	if again := loggedChanges(runServeOnce(t, dir, args...)); len(again) != 0 {
		t.Fatalf("logged %v again", again)
	}

	// An override written to the database behind the server's back (or
	// stored before changes were logged) is logged at the next start, once.
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "accord.db"))
	if err != nil {
		t.Fatal(err)
	}
	err = db.PutOverride(context.Background(), store.Override{Kind: "bloc", ID: "NORDIC_T",
		Body: []byte(`{"name":"Nordic (test)","members":["DK","SE"],"checked":"2026-11-01","source":"operator"}`)})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got := loggedChanges(runServeOnce(t, dir, args...)); !slices.Equal(got, []string{"bloc/NORDIC_T"}) {
		t.Fatalf("after an unlogged override: logged %v, want [bloc/NORDIC_T]", got)
	}
	if again := loggedChanges(runServeOnce(t, dir, args...)); len(again) != 0 {
		t.Fatalf("logged %v again", again)
	}

	// The entries are in the log: pack-change with name and version, the
	// authority key with its fingerprint.
	db, err = sqlite.Open(context.Background(), filepath.Join(dir, "accord.db"))
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := db.ListRegistryChanges(context.Background(), 0, 0)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	var sawPack, sawKey bool
	for _, c := range recorded {
		e := entryAt(t, dir, c.LogIndex)
		switch {
		case c.Kind == "pack" && c.ID == "acme" && strings.Contains(string(c.Body), "1.1.0"):
			sawPack = e.Kind == ledger.KindPackChange && len(e.Packs) == 1 && e.Packs[0].Version == "1.1.0" && e.Digest == c.Digest
		case c.Kind == "authority-key":
			sum := sha256.Sum256(pub)
			sawKey = e.Kind == ledger.KindRegistryChange && e.Subject == "fr-bepi" && e.KeyFingerprint == hex.EncodeToString(sum[:])
		}
		priv, err := api.RegistryChangeRecord(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := ledger.VerifyPrivate(e, priv); err != nil {
			t.Errorf("change %s/%s at %d: %v", c.Kind, c.ID, c.LogIndex, err)
		}
	}
	if !sawPack || !sawKey {
		t.Errorf("log entries: pack-change acme 1.1.0 %v, fr-bepi key %v; want both", sawPack, sawKey)
	}
}

// BenchmarkLiveRegistry compares a dry-run decision through the live
// holder (one atomic load per call) with the same decider called directly,
// and times preparing a new generation (what a registry change costs
// before it is logged: the registry loaded, the packs compiled).
func BenchmarkLiveRegistry(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "accord.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	lg, err := ledger.Open(ctx, filepath.Join(dir, "log"), ledger.Options{Origin: "accord.example/bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer lg.Close()
	live, err := newLiveRegistry(serveDeps{store: db, log: lg, metrics: api.NewMetrics(), packs: "auto"}, nil, b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	req, err := model.DecodeRequest([]byte(`{"action":"transfer","requester":{"id":"acme","kind":"company","jurisdiction":"FR"},
		"data":{"location":"FR","categories":["personal.contact"],"subjects":{"FR":12}},"destination":"US","purpose":"commercial"}`), live)
	if err != nil {
		b.Fatal(err)
	}
	direct := live.current().dec
	for _, c := range []struct {
		name string
		d    api.Decider
	}{{"direct", direct}, {"live", live}} {
		b.Run("check/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.d.Check(ctx, req, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("prepare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := live.Prepare(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
