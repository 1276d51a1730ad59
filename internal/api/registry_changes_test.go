package api_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/registry"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/sqlite"
)

// changeStore is the SQLite store with an in-memory stand-in for the two
// methods of store.RegistryChanges, whose drivers land separately. It keeps
// their contract: the change and its override are written together, a
// delete of a missing override is ErrNotFound and writes nothing.
type changeStore struct {
	*sqlite.Store
	mu      sync.Mutex
	changes []store.RegistryChange
	// fail, when set, is returned by ApplyRegistryChange (nothing written).
	fail error
}

func (s *changeStore) ApplyRegistryChange(ctx context.Context, c store.RegistryChange) error {
	if err := c.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	switch c.Kind {
	case "jurisdiction", "bloc", "agreement", "authority":
		var err error
		if c.Action == "put" {
			err = s.Store.PutOverride(ctx, store.Override{Kind: c.Kind, ID: c.ID, Body: c.Body})
		} else {
			err = s.Store.DeleteOverride(ctx, c.Kind, c.ID)
		}
		if err != nil {
			return err
		}
	}
	s.changes = append(s.changes, c)
	return nil
}

func (s *changeStore) ListRegistryChanges(ctx context.Context, from uint64, limit int) ([]store.RegistryChange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.RegistryChange
	for _, c := range s.changes {
		if c.LogIndex >= from && (limit == 0 || len(out) < limit) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b store.RegistryChange) int { return int(a.LogIndex) - int(b.LogIndex) })
	return out, nil
}

// changeLogMem is an in-memory log for registry changes: it keeps every
// entry appended (after checking it marshals), or fails
// with err.
type changeLogMem struct {
	mu      sync.Mutex
	entries []ledger.Entry
	err     error
	// onAppend, when set, is called with each entry before it is kept.
	onAppend func(ledger.Entry)
}

func (l *changeLogMem) Append(ctx context.Context, e ledger.Entry) (uint64, error) {
	if _, err := e.Marshal(); err != nil {
		return 0, err
	}
	if l.onAppend != nil {
		l.onAppend(e)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return 0, l.err
	}
	l.entries = append(l.entries, e)
	return uint64(len(l.entries) - 1), nil
}

func (l *changeLogMem) all() []ledger.Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries)
}

// overlay is the shared registry with the authorities overridden, as a
// rebuilt registry would hold them.
type overlay struct {
	*registry.Registry
	auths map[string]registry.Authority
}

func (o overlay) Authorities() []registry.Authority {
	var out []registry.Authority
	for _, a := range o.Registry.Authorities() {
		if x, ok := o.auths[a.ID]; ok {
			a = x
		}
		out = append(out, a)
	}
	for id, a := range o.auths {
		if _, ok := o.Registry.Authority(id); !ok {
			out = append(out, a)
		}
	}
	return out
}

// liveState is what the test server "runs with": set by activate only.
type liveState struct {
	reg       atomic.Pointer[overlay]
	activated atomic.Int32
	// onActivate, when set, runs as the change takes effect.
	onActivate func()
}

// prepare builds the overlay for the overrides all, as serve's
// liveRegistry.Prepare rebuilds the registry.
func (s *liveState) prepare(ctx context.Context, all []store.Override) (api.Registry, func(), error) {
	o := overlay{Registry: sharedRegistry, auths: map[string]registry.Authority{}}
	for _, ov := range all {
		if ov.Kind != "authority" {
			continue
		}
		var a registry.Authority
		if err := json.Unmarshal(ov.Body, &a); err != nil {
			return nil, nil, err
		}
		if base, ok := sharedRegistry.Authority(ov.ID); ok && a.Jurisdiction == "" {
			a.Jurisdiction = base.Jurisdiction
		}
		a.ID = ov.ID
		o.auths[ov.ID] = a
	}
	return o, func() {
		if s.onActivate != nil {
			s.onActivate()
		}
		s.reg.Store(&o)
		s.activated.Add(1)
	}, nil
}

func fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])
}

// someAuthority is an authority of the embedded registry.
func someAuthority(t *testing.T) registry.Authority {
	t.Helper()
	as := sharedRegistry.Authorities()
	if len(as) == 0 {
		t.Fatal("the embedded registry has no authority")
	}
	return as[0]
}

// TestAuthorityKeyNeedsAdmin: an operator may not put or delete a state
// authority's entry (its key decides which signed authorizations count);
// nothing is logged or stored. Other kinds stay the operator's.
func TestAuthorityKeyNeedsAdmin(t *testing.T) {
	e := newEnv(t)
	a := someAuthority(t)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	body := fmt.Sprintf(`{"public_key":%q}`, authz.EncodePublicKey(pub))
	for _, c := range []call{
		{method: "PUT", path: "/v1/registry/authorities/" + a.ID, token: e.tokens[store.RoleOperator], body: body},
		{method: "DELETE", path: "/v1/registry/authorities/" + a.ID, token: e.tokens[store.RoleOperator]},
	} {
		got := e.do(c)
		if got.status != 403 || !strings.Contains(got.problem.Detail, "allowed: admin") {
			t.Errorf("%s by operator: %d %q, want 403 naming admin", c.method, got.status, got.problem.Detail)
		}
	}
	if n := len(e.log.all()); n != 0 {
		t.Errorf("%d entries logged for refused changes", n)
	}
	if _, err := e.st.Override(context.Background(), "authority", a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused authority override was stored: %v", err)
	}
	if e.live.activated.Load() != 0 {
		t.Error("a refused change took effect")
	}
}

// TestRegistryChangeLoggedBeforeEffect: an admin's new authority key is
// validated, logged (registry-change entry naming the authority, its state
// and the key's fingerprint), stored, and only then in effect; the stored
// change rebuilds the entry's private record.
func TestRegistryChangeLoggedBeforeEffect(t *testing.T) {
	e := newEnv(t)
	a := someAuthority(t)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	ctx := context.Background()
	e.live.onActivate = func() {
		n := int(e.live.activated.Load()) + 1 // this change's number
		if len(e.log.all()) != n {
			t.Errorf("change %d took effect before it was logged", n)
		}
		if cs, _ := e.st.ListRegistryChanges(ctx, 0, 0); len(cs) != n {
			t.Errorf("change %d took effect before it was stored", n)
		}
	}
	got := e.do(call{method: "PUT", path: "/v1/registry/authorities/" + a.ID, token: e.tokens[store.RoleAdmin],
		body: fmt.Sprintf(`{"public_key":%q}`, authz.EncodePublicKey(pub))})
	if got.status != 201 {
		t.Fatalf("admin PUT: %d %s", got.status, got.body)
	}
	var doc api.OverrideDocument
	json.Unmarshal(got.body, &doc)
	want := fingerprint(pub)
	if doc.LogIndex == nil || *doc.LogIndex != 0 || doc.KeyFingerprint != want {
		t.Errorf("answer: log index %v, fingerprint %s; want 0, %s", doc.LogIndex, doc.KeyFingerprint, want)
	}
	entries := e.log.all()
	if len(entries) != 1 {
		t.Fatalf("%d entries logged, want 1", len(entries))
	}
	le := entries[0]
	if le.Kind != ledger.KindRegistryChange || le.Subject != a.ID || le.KeyFingerprint != want || le.Jurisdiction != a.Jurisdiction || le.Action != "put" {
		t.Errorf("entry %+v: want registry-change, subject %s, state %s, fingerprint %s", le, a.ID, a.Jurisdiction, want)
	}
	if raw, _ := json.Marshal(le); strings.Contains(string(raw), "root") || strings.Contains(string(raw), authz.EncodePublicKey(pub)) {
		t.Errorf("the public entry holds who made the change or the document: %s", raw)
	}
	if e.live.activated.Load() != 1 {
		t.Fatal("the logged change did not take effect")
	}
	if k, ok := authorityKeyOf(e.live.reg.Load(), a.ID); !ok || k != authz.EncodePublicKey(pub) {
		t.Errorf("live registry key of %s = %q, want the new key", a.ID, k)
	}
	cs, _ := e.st.ListRegistryChanges(ctx, 0, 0)
	if len(cs) != 1 || cs[0].LogIndex != 0 || cs[0].KeyFingerprint != want || cs[0].Principal != "root" {
		t.Fatalf("stored changes %+v", cs)
	}
	priv, err := api.RegistryChangeRecord(cs[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := ledger.VerifyPrivate(le, priv); err != nil {
		t.Errorf("the stored change does not rebuild the logged record: %v", err)
	}

	// A delete is logged too, with the key the registry falls back to.
	got = e.do(call{method: "DELETE", path: "/v1/registry/authorities/" + a.ID, token: e.tokens[store.RoleAdmin]})
	if got.status != 204 || got.header.Get("Accord-Log-Index") != "1" {
		t.Fatalf("admin DELETE: %d %s (log index %q)", got.status, got.body, got.header.Get("Accord-Log-Index"))
	}
	entries = e.log.all()
	if len(entries) != 2 || entries[1].Action != "delete" || entries[1].KeyFingerprint != api.KeyFingerprint(a.PublicKey) {
		t.Errorf("delete entry %+v, want action delete with the embedded key's fingerprint %q", entries[len(entries)-1], api.KeyFingerprint(a.PublicKey))
	}
}

func authorityKeyOf(reg api.Registry, id string) (string, bool) {
	if reg == nil {
		return "", false
	}
	for _, a := range reg.Authorities() {
		if a.ID == id {
			return a.PublicKey, true
		}
	}
	return "", false
}

// TestRegistryChangeLogDown: when the log cannot take the entry, the change
// is refused with 503 and Retry-After, nothing is stored and the old key
// still rules. When the store fails after the log took it, the entry is
// voided and the change does not take effect either.
func TestRegistryChangeLogDown(t *testing.T) {
	e := newEnv(t)
	a := someAuthority(t)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	body := fmt.Sprintf(`{"public_key":%q}`, authz.EncodePublicKey(pub))
	path := "/v1/registry/authorities/" + a.ID
	admin := e.tokens[store.RoleAdmin]
	ctx := context.Background()

	e.log.err = ledger.ErrClosed
	got := e.do(call{method: "PUT", path: path, token: admin, body: body})
	if got.status != 503 || got.header.Get("Retry-After") == "" {
		t.Errorf("log down: %d (Retry-After %q), want 503 with Retry-After", got.status, got.header.Get("Retry-After"))
	}
	if _, err := e.st.Override(ctx, "authority", a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("stored although the log refused it: %v", err)
	}
	if cs, _ := e.st.ListRegistryChanges(ctx, 0, 0); len(cs) != 0 {
		t.Errorf("change recorded although the log refused it: %+v", cs)
	}
	if e.live.activated.Load() != 0 {
		t.Error("the new key took effect although the log refused it")
	}

	e.log.err = nil
	e.st.(*changeStore).fail = fmt.Errorf("write: %w", store.ErrUnavailable)
	got = e.do(call{method: "PUT", path: path, token: admin, body: body})
	if got.status != 503 || !strings.Contains(got.problem.Detail, "voided") {
		t.Errorf("store down: %d %q, want 503 saying the entry is voided", got.status, got.problem.Detail)
	}
	entries := e.log.all()
	if len(entries) != 2 || entries[1].Kind != ledger.KindVoid || entries[1].Refers == nil || *entries[1].Refers != 0 {
		t.Errorf("log after a failed store: %+v, want the change then its void", entries)
	}
	if e.live.activated.Load() != 0 {
		t.Error("the new key took effect although it was not stored")
	}
}

// TestListRegistryChanges: every role can watch the changes, filtered by
// kind, id and log index; the document put and who put it are not shown.
func TestListRegistryChanges(t *testing.T) {
	e := newEnv(t)
	a := someAuthority(t)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	admin, op := e.tokens[store.RoleAdmin], e.tokens[store.RoleOperator]
	for _, c := range []call{
		{method: "PUT", path: "/v1/registry/blocs/nordic", token: op, body: `{"members":["DK","SE"]}`},
		{method: "PUT", path: "/v1/registry/authorities/" + a.ID, token: admin, body: fmt.Sprintf(`{"public_key":%q}`, authz.EncodePublicKey(pub))},
		{method: "PUT", path: "/v1/registry/blocs/nordic", token: op, body: `{"members":["DK","SE","NO"]}`},
	} {
		if got := e.do(c); got.status != 200 && got.status != 201 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, got.status, got.body)
		}
	}
	list := func(token, query string) (int, api.ChangeList) {
		t.Helper()
		got := e.do(call{method: "GET", path: "/v1/registry/changes" + query, token: token})
		var l api.ChangeList
		json.Unmarshal(got.body, &l)
		return got.status, l
	}
	for role, tok := range e.tokens {
		if st, l := list(tok, ""); st != 200 || len(l.Changes) != 3 {
			t.Errorf("role %s: %d, %d changes; want 200 and 3", role, st, len(l.Changes))
		}
	}
	st, l := list(e.tokens[store.RoleAuthority], "?kind=authority&id="+a.ID)
	if st != 200 || len(l.Changes) != 1 {
		t.Fatalf("filtered: %d %+v", st, l)
	}
	c := l.Changes[0]
	if c.LogIndex != 1 || c.Kind != "authority" || c.ID != a.ID || c.Action != "put" || c.KeyFingerprint != fingerprint(pub) || c.Time == "" || len(c.Digest) != 64 {
		t.Errorf("change %+v", c)
	}
	if _, l := list(op, "?kind=blocs&from=1"); len(l.Changes) != 1 || l.Changes[0].LogIndex != 2 {
		t.Errorf("blocs from 1: %+v", l.Changes)
	}
	_, first := list(op, "?page_size=2")
	if len(first.Changes) != 2 || first.NextPageToken == "" {
		t.Fatalf("page_size 2: %+v next %q", first.Changes, first.NextPageToken)
	}
	if _, l := list(op, "?page_size=2&page_token="+first.NextPageToken); len(l.Changes) != 1 || l.Changes[0].LogIndex != 2 || l.NextPageToken != "" {
		t.Errorf("second page: %+v next %q", l.Changes, l.NextPageToken)
	}
	raw := e.do(call{method: "GET", path: "/v1/registry/changes", token: op}).body
	if strings.Contains(string(raw), "root") || strings.Contains(string(raw), "ops") || strings.Contains(string(raw), "DK") {
		t.Errorf("the list shows who made a change or what was put: %s", raw)
	}
	for _, q := range []string{"?kind=planet", "?from=-1", "?page_size=0", "?limit=2", "?who=me", "?page_token=xyz"} {
		got := e.do(call{method: "GET", path: "/v1/registry/changes" + q, token: op, invalid: true})
		if got.status != 400 || got.problem.Field == "" {
			t.Errorf("%s: %d field %q, want 400 naming the parameter", q, got.status, got.problem.Field)
		}
	}
	if got := e.do(call{method: "POST", path: "/v1/registry/changes", token: op, invalid: true}); got.status != 405 || got.header.Get("Allow") != "GET" {
		t.Errorf("POST: %d, Allow %q; want 405 allowing GET", got.status, got.header.Get("Allow"))
	}
}

// TestRegistryChangesOff: without RegistryChanges no change is made
// unlogged.
func TestRegistryChangesOff(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.RegistryChanges = nil })
	got := e.do(call{method: "PUT", path: "/v1/registry/blocs/nordic", token: e.tokens[store.RoleOperator], body: `{"members":["DK","SE"]}`})
	if got.status != 404 {
		t.Errorf("PUT without a change log: %d, want 404", got.status)
	}
	if _, err := e.st.Override(context.Background(), "bloc", "nordic"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("stored without a change log: %v", err)
	}
}
