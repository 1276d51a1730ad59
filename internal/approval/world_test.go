package approval_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/approval"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/postgres"
	"github.com/accord-dev/accord/internal/store/sqlite"
	"github.com/accord-dev/accord/internal/store/storetest"
)

// backend is a store both the catalog and the approvals live in.
type backend interface {
	store.Approvals
	CreateDataset(ctx context.Context, d store.Dataset) error
	UpdateDataset(ctx context.Context, d store.Dataset) error
	Dataset(ctx context.Context, id string) (store.Dataset, error)
}

// forEachStore runs fn against SQLite and, when ACCORD_TEST_POSTGRES is
// set, PostgreSQL.
func forEachStore(t *testing.T, fn func(t *testing.T, w *world)) {
	t.Run("sqlite", func(t *testing.T) {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "accord.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, newWorld(t, s))
	})
	t.Run("postgres", func(t *testing.T) {
		s, err := postgres.Open(context.Background(), storetest.PostgresDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, newWorld(t, s))
	})
}

// memLog is a transparency log in memory; fail makes appends fail.
type memLog struct {
	mu      sync.Mutex
	entries []ledger.Entry
	fail    error
}

func (l *memLog) Append(_ context.Context, e ledger.Entry) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return 0, l.fail
	}
	if err := e.Validate(); err != nil {
		return 0, err
	}
	l.entries = append(l.entries, e)
	return uint64(len(l.entries) - 1), nil
}

func (l *memLog) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

func (l *memLog) last() ledger.Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.entries[len(l.entries)-1]
}

// failingStore makes approval writes fail.
type failingStore struct {
	backend
	fail error
}

func (f failingStore) CreateApproval(ctx context.Context, a store.Approval) error {
	if f.fail != nil {
		return f.fail
	}
	return f.backend.CreateApproval(ctx, a)
}

func (f failingStore) UpdateApproval(ctx context.Context, a store.Approval, prev uint64) error {
	if f.fail != nil {
		return f.fail
	}
	return f.backend.UpdateApproval(ctx, a, prev)
}

// world is one store with a small catalog, a log, a clock and a service.
type world struct {
	st  backend
	log *memLog
	svc *approval.Service
	now time.Time
	key ed25519.PrivateKey
}

var measures = map[string][]string{"customer-approval": {"gdsi-7-vendor-maintenance", "gdsi-8-user-dependence"}}

// The catalog: crm-fr is held by acme-fr; plant-de by other-de; own-data
// by the vendor itself; orphan by nobody.
func newWorld(t *testing.T, st backend) *world {
	t.Helper()
	ctx := context.Background()
	for _, d := range []store.Dataset{
		{ID: "crm-fr", Location: "FR", Categories: []string{"personal.contact", "personal.financial"}, Holder: "acme-fr"},
		{ID: "plant-de", Location: "DE", Categories: []string{"personal.contact"}, Holder: "other-de"},
		{ID: "own-data", Location: "US", Categories: []string{"personal.contact"}, Holder: "vendor-x"},
		{ID: "orphan", Location: "FR", Categories: []string{"personal.contact"}},
	} {
		if err := st.CreateDataset(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	w := &world{st: st, log: &memLog{}, now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), key: key}
	w.svc = w.service(t, st)
	return w
}

func (w *world) service(t *testing.T, st approval.Store) *approval.Service {
	t.Helper()
	svc, err := approval.New(approval.Config{Store: st, Catalog: w.st, Log: w.log, Key: w.key,
		Measures: func() map[string][]string { return measures }, Now: func() time.Time { return w.now }})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// request is a vendor's request to modify crm-fr for maintenance.
func request(mut ...func(*model.Request)) *model.Request {
	r := &model.Request{
		Action:    "modify",
		Requester: model.Principal{ID: "vendor-x", Kind: "company", Role: "vendor", Jurisdiction: "US"},
		Data:      model.Data{Dataset: "crm-fr", Location: "FR", Categories: []string{"personal.contact"}},
		Purpose:   "maintenance",
	}
	for _, m := range mut {
		m(r)
	}
	return r
}

// pending is a logged binding decision waiting on customer-approval.
func pending(index uint64) *model.Decision {
	return &model.Decision{ID: "dec-1", Outcome: model.Pending, Binding: true, LogIndex: &index,
		Reasons: []model.Reason{{Rule: "gdsi-7-vendor-maintenance", Pack: "gdsi", Effect: model.EffectRequire}}}
}

// ask makes an approval request for req.
func (w *world) ask(t *testing.T, req *model.Request) *approval.Request {
	t.Helper()
	r, err := w.svc.Ask(context.Background(), approval.Ask{ID: approval.NewID(), Request: req, Decision: pending(7)})
	if err != nil {
		t.Fatalf("Ask: %v", err)
	}
	return r
}

var holderApprover = approval.Answerer{Principal: "acme-fr", Role: store.RoleApprover}

// approve has acme-fr's approver approve r for d.
func (w *world) approve(t *testing.T, r *approval.Request, d time.Duration) *approval.Request {
	t.Helper()
	got, err := w.svc.Answer(context.Background(), approval.Answering{ID: r.ID, Outcome: approval.StatusApproved, By: holderApprover, Duration: d})
	if err != nil {
		t.Fatalf("Answer: %v", err)
	}
	return got
}

func entryJSON(t *testing.T, e ledger.Entry) string {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func mustKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}
