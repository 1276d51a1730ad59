package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/store"
)

// RunAdvisories runs the suite of store.Advisories against fresh stores
// from open: deployments, SBOM imports replacing components in one
// transaction, vendor keys, advisories with their notices, the outbox's
// due list and state changes, and idempotency (one notice per advisory
// and deployment).
func RunAdvisories(t *testing.T, open func(t *testing.T) store.Advisories) {
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	dep := func(id string) store.Deployment {
		return store.Deployment{ID: id, Owner: "acme", WebhookURL: "https://hooks.example/" + id, WebhookSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ContactRole: "secops", Created: at}
	}
	comp := func(purl, key, v string) store.Component {
		return store.Component{PURL: purl, Key: key, Version: v, Name: key}
	}

	t.Run("Deployments", func(t *testing.T) {
		s := open(t)
		must(t, "create", s.CreateDeployment(ctx, dep("d1")))
		mustIs(t, "create twice", s.CreateDeployment(ctx, dep("d1")), store.ErrConflict)
		bad := dep("d2")
		bad.WebhookURL = ""
		mustIs(t, "no webhook", s.CreateDeployment(ctx, bad), store.ErrInvalid)
		other := dep("d3")
		other.Owner = "globex"
		must(t, "create other", s.CreateDeployment(ctx, other))
		got, err := s.Deployment(ctx, "d1")
		must(t, "get", err)
		if got.WebhookSecret != dep("d1").WebhookSecret || !got.Created.Equal(at) || got.Owner != "acme" {
			t.Errorf("got %+v", got)
		}
		_, err = s.Deployment(ctx, "nope")
		mustIs(t, "get missing", err, store.ErrNotFound)
		mine, err := s.ListDeployments(ctx, "acme")
		must(t, "list", err)
		if len(mine) != 1 || mine[0].ID != "d1" {
			t.Errorf("owner acme sees %+v", mine)
		}
		all, _ := s.ListDeployments(ctx, "")
		if len(all) != 2 {
			t.Errorf("all: %d deployments", len(all))
		}
	})

	t.Run("ImportSBOMReplacesAtomically", func(t *testing.T) {
		s := open(t)
		must(t, "create", s.CreateDeployment(ctx, dep("d1")))
		sb := store.SBOM{Deployment: "d1", Format: "cyclonedx", Digest: "ab", Components: 2, Created: at}
		must(t, "import", s.ImportSBOM(ctx, sb, []store.Component{comp("pkg:npm/a@1.0.0", "pkg:npm/a", "1.0.0"), comp("pkg:npm/b@2.0.0", "pkg:npm/b", "2.0.0")}, nil))
		must(t, "reimport", s.ImportSBOM(ctx, sb, []store.Component{comp("pkg:npm/c@3.0.0", "pkg:npm/c", "3.0.0")}, nil))
		cs, err := s.ListComponents(ctx, "d1")
		must(t, "list", err)
		if len(cs) != 1 || cs[0].Key != "pkg:npm/c" || cs[0].Deployment != "d1" {
			t.Errorf("after reimport: %+v", cs)
		}
		// A failing import (unknown deployment) writes nothing.
		sb.Deployment = "ghost"
		mustIs(t, "unknown deployment", s.ImportSBOM(ctx, sb, []store.Component{comp("pkg:npm/x@1.0.0", "pkg:npm/x", "1.0.0")}, nil), store.ErrNotFound)
		// A bad notice refuses the whole import: the components stay.
		sb.Deployment = "d1"
		err = s.ImportSBOM(ctx, sb, []store.Component{comp("pkg:npm/z@1.0.0", "pkg:npm/z", "1.0.0")}, []store.Notice{{WebhookID: "m", AdvisoryKey: "v/none", Deployment: "d1", State: store.NoticePending}})
		if err == nil {
			t.Fatal("import with a notice for an unknown advisory succeeded")
		}
		cs, _ = s.ListComponents(ctx, "d1")
		if len(cs) != 1 || cs[0].Key != "pkg:npm/c" {
			t.Errorf("half an import was stored: %+v", cs)
		}
	})

	t.Run("VendorKeys", func(t *testing.T) {
		s := open(t)
		_, err := s.VendorKey(ctx, "vendor-a")
		mustIs(t, "missing", err, store.ErrNotFound)
		must(t, "put", s.PutVendorKey(ctx, store.VendorKey{Vendor: "vendor-a", PublicKey: "k1", LogIndex: 3, Created: at}))
		must(t, "replace", s.PutVendorKey(ctx, store.VendorKey{Vendor: "vendor-a", PublicKey: "k2", LogIndex: 9, Created: at}))
		k, err := s.VendorKey(ctx, "vendor-a")
		must(t, "get", err)
		if k.PublicKey != "k2" || k.LogIndex != 9 {
			t.Errorf("got %+v", k)
		}
		mustIs(t, "empty", s.PutVendorKey(ctx, store.VendorKey{Vendor: "v"}), store.ErrInvalid)
	})

	t.Run("AdvisoriesAndOutbox", func(t *testing.T) {
		s := open(t)
		must(t, "d1", s.CreateDeployment(ctx, dep("d1")))
		must(t, "d2", s.CreateDeployment(ctx, dep("d2")))
		a := store.AdvisoryRecord{Key: "vendor-a/ADV-1", Vendor: "vendor-a", ID: "ADV-1", Format: "osv", Document: []byte(`{}`), Envelope: []byte(`{}`),
			Severity: "high", Flags: []string{"gdsi8-forced-upgrade"}, Affected: 1, LogIndex: 7, Published: at, Discovered: at.Add(-48 * time.Hour)}
		n1 := store.Notice{WebhookID: "msg_1", AdvisoryKey: a.Key, Deployment: "d1", Payload: []byte(`{"a":1}`), State: store.NoticePending, NextAttempt: at, Created: at}
		must(t, "publish", s.PublishAdvisory(ctx, a, []store.Notice{n1}))
		mustIs(t, "publish twice", s.PublishAdvisory(ctx, a, nil), store.ErrConflict)
		got, err := s.Advisory(ctx, a.Key)
		must(t, "get", err)
		if got.Severity != "high" || len(got.Flags) != 1 || got.LogIndex != 7 || !got.Discovered.Equal(a.Discovered) || !got.Published.Equal(at) {
			t.Errorf("got %+v", got)
		}
		// The same advisory and deployment again (an SBOM reimport): kept once.
		dup := n1
		dup.WebhookID = "msg_2"
		must(t, "reimport", s.ImportSBOM(ctx, store.SBOM{Deployment: "d1", Format: "spdx", Created: at}, nil, []store.Notice{dup}))
		all, err := s.ListNotices(ctx, "")
		must(t, "list", err)
		if len(all) != 1 || all[0].WebhookID != "msg_1" {
			t.Fatalf("notices: %+v", all)
		}
		due, err := s.DueNotices(ctx, at.Add(-time.Second), 10)
		must(t, "due before", err)
		if len(due) != 0 {
			t.Errorf("due before its time: %+v", due)
		}
		due, err = s.DueNotices(ctx, at, 10)
		must(t, "due", err)
		if len(due) != 1 || string(due[0].Payload) != `{"a":1}` {
			t.Fatalf("due: %+v", due)
		}
		n := due[0]
		// Two deliverers read it; one claim wins.
		ok1, err1 := s.ClaimNotice(ctx, n, at.Add(time.Minute))
		ok2, err2 := s.ClaimNotice(ctx, n, at.Add(time.Minute))
		if err1 != nil || err2 != nil || !ok1 || ok2 {
			t.Fatalf("claims: %v %v, %v %v (want exactly the first)", ok1, err1, ok2, err2)
		}
		if due, _ := s.DueNotices(ctx, at.Add(30*time.Second), 10); len(due) != 0 {
			t.Errorf("due while leased: %+v", due)
		}
		n.Attempts, n.LastStatus, n.NextAttempt = 1, 500, at.Add(time.Minute)
		must(t, "retry", s.UpdateNotice(ctx, n))
		if due, _ := s.DueNotices(ctx, at.Add(30*time.Second), 10); len(due) != 0 {
			t.Errorf("due during backoff: %+v", due)
		}
		n.State, n.Attempts, n.LastStatus, n.Delivered, n.LogIndex, n.Logged = store.NoticeDead, 2, 0, time.Time{}, 12, true
		must(t, "dead", s.UpdateNotice(ctx, n))
		dead, err := s.ListNotices(ctx, store.NoticeDead)
		must(t, "dead list", err)
		if len(dead) != 1 || dead[0].Attempts != 2 || !dead[0].Logged || dead[0].LogIndex != 12 {
			t.Errorf("dead letters: %+v", dead)
		}
		if due, _ := s.DueNotices(ctx, at.Add(time.Hour), 10); len(due) != 0 {
			t.Errorf("a dead notice is due: %+v", due)
		}
		n.WebhookID = "msg_unknown"
		mustIs(t, "update unknown", s.UpdateNotice(ctx, n), store.ErrNotFound)
		n.State = "lost"
		if err := s.UpdateNotice(ctx, n); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("bad state: %v", err)
		}
		list, err := s.ListAdvisories(ctx)
		must(t, "list advisories", err)
		if len(list) != 1 {
			t.Errorf("advisories: %d", len(list))
		}
	})
}
