package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/ledger/mysqltest"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/postgres"
	"github.com/accord-dev/accord/internal/store/storetest"
)

// replica is one `accord serve` child process of a replicated deployment.
type replica struct {
	*child
	name string
}

// startReplica starts `accord serve` as a child with its own --data under
// dir, on the shared PostgreSQL (db) and MySQL log (logURL), with the
// shared signing key.
func startReplica(t *testing.T, name, dir, db, logURL, key string) *replica {
	t.Helper()
	args := []string{"serve", "--data", filepath.Join(dir, name), "--addr", "127.0.0.1:0",
		"--db", db, "--log", logURL, "--log-key", key, "--origin", "accord.test/replicas",
		"--checkpoint-interval", "1s", "--reconcile-interval", "1s", "--rate-limit", "0"}
	c := startChild(t, "replica "+name, args)
	return &replica{child: c, name: name}
}

// decideAt posts a binding decision to base and returns the status and the
// decision.
func decideAt(base, token, body string) (int, model.Decision, error) {
	req, _ := http.NewRequest("POST", base+"/v1/decisions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, model.Decision{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var answer struct {
		Decision model.Decision `json:"decision"`
	}
	_ = json.Unmarshal(b, &answer)
	return resp.StatusCode, answer.Decision, nil
}

// TestThreeReplicas runs three `accord serve` processes on loopback that
// share one PostgreSQL schema (the store) and one MariaDB database (the log
// on Tessera's MySQL driver), behind a round-robin client:
//   - the parallel-threshold requests, spread over the three, allow exactly
//     what a serial order allows;
//   - a token revoked in the database stops working on every replica
//     within the auth cache's bound (--auth-cache, 1 s);
//   - two replicas moving the same MLA case at once: one moves it, the
//     other answers 409; an ETag read on one replica is stale (412) once
//     another moved the case; every step's private record is in the
//     shared database;
//   - the replica holding the periodic jobs' lease is SIGKILLed under load:
//     every decision acknowledged (201) by any replica is on the log at its
//     index and recorded in the store, `accord log verify` passes over
//     HTTP, and the lease moves to a live replica.
func TestThreeReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three accord serve child processes")
	}
	db := storetest.PostgresDSN(t)
	logURL := mysqltest.URL(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := seedDemo(ctx, st, io.Discard, ""); err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	tokenIDs := map[string]string{}
	for _, p := range []string{"hanwei", "fbi", "tenant-ops"} {
		principal := p
		if p == "tenant-ops" {
			principal = "hanwei"
		}
		secret, tok, err := store.NewToken(principal, store.RoleRequester, time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		tokens[p], tokenIDs[p] = secret, tok.ID
	}

	dir := t.TempDir()
	key := filepath.Join(dir, "shared-keys", ledger.KeyFileName)
	// The first creates the shared key (and records it in the database);
	// the others start with the same file.
	reps := []*replica{startReplica(t, "r1", dir, db, logURL, key)}
	reps = append(reps, startReplica(t, "r2", dir, db, logURL, key), startReplica(t, "r3", dir, db, logURL, key))

	t.Run("parallel threshold across replicas", func(t *testing.T) {
		for _, tc := range thresholdCases {
			if tc.principal == "hanwei" && tc.name != thresholdCases[0].name {
				continue // one regime per principal: the world is shared
			}
			var (
				wg     sync.WaitGroup
				mu     sync.Mutex
				counts = map[model.Outcome]int{}
			)
			for i := range 64 {
				wg.Go(func() {
					status, d, err := decideAt(reps[i%3].url, tokens[tc.principal], tc.body)
					if err != nil || status != http.StatusCreated {
						t.Errorf("%s: decision at %s: %d %v", tc.name, reps[i%3].name, status, err)
						return
					}
					mu.Lock()
					counts[d.Outcome]++
					mu.Unlock()
				})
			}
			wg.Wait()
			if counts[model.Allow] != 11 || counts[tc.past] != 53 {
				t.Errorf("%s: outcomes %v; want 11 allow and 53 %s, as every serial order gives", tc.name, counts, tc.past)
			}
		}
	})

	simple := `{"action":"access","data":{"dataset":"crm-eu"},"purpose":"commercial","selectors":{"kind":"specific","count":1}}`
	t.Run("revocation reaches every replica", func(t *testing.T) {
		tok := tokens["tenant-ops"]
		for _, r := range reps {
			if status, _, err := decideAt(r.url, tok, simple); err != nil || status != http.StatusCreated {
				t.Fatalf("%s before revocation: %d %v", r.name, status, err)
			}
		}
		revoked := time.Now()
		if err := st.RevokeToken(ctx, tokenIDs["tenant-ops"], revoked); err != nil {
			t.Fatal(err)
		}
		const bound = time.Second // --auth-cache default
		for _, r := range reps {
			for {
				sent := time.Now()
				status, _, err := decideAt(r.url, tok, simple)
				if err != nil {
					t.Fatal(err)
				}
				if status == http.StatusUnauthorized {
					break
				}
				// A request sent after the bound must be refused.
				if late := sent.Sub(revoked); late > bound+200*time.Millisecond {
					t.Fatalf("%s accepted the token in a request sent %v after its revocation (bound %v): %d", r.name, late, bound, status)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	})

	var frPriv ed25519.PrivateKey // fr-bepi's key once the registry change is in
	t.Run("registry change reaches every replica", func(t *testing.T) {
		secret, tok, err := store.NewToken("demo-admin", store.RoleAdmin, time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		frPriv = priv
		req, _ := http.NewRequest("PUT", reps[0].url+"/v1/registry/authorities/fr-bepi", strings.NewReader(authorityBody(t, pub)))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("If-None-Match", "*") // a new override
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("PUT authority on %s: %d", reps[0].name, resp.StatusCode)
		}
		changed := time.Now()
		// Judged with the new key on every replica: a decision relying on
		// an authorization signed with it counts France's authorization.
		bkaSecret, bkaTok, err := store.NewToken("bka", store.RoleRequester, time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateToken(ctx, bkaTok); err != nil {
			t.Fatal(err)
		}
		body := relyingRequest(t, signWith(t, grantStatement(), priv))
		for _, r := range reps {
			for {
				status, d, err := decideAt(r.url, bkaSecret, body)
				if err != nil {
					t.Fatal(err)
				}
				if status == http.StatusCreated && !needsFR(d) {
					break
				}
				if time.Since(changed) > 2*registrySyncInterval+5*time.Second {
					t.Fatalf("%s still judges without the new key %v after the change on %s: %d %s", r.name, time.Since(changed), reps[0].name, status, d.Outcome)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	})

	t.Run("revocation of an authorization reaches every replica", func(t *testing.T) {
		if frPriv == nil {
			t.Skip("needs fr-bepi's key from the registry change")
		}
		secret, tok, err := store.NewToken("fr-bepi", store.RoleAuthority, time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		rev := &authz.Statement{ID: "FR-BEPI-TEST-1-R", Type: authz.TypeRevocation, Issuer: "fr-bepi", IssuerJurisdiction: "FR",
			Revokes: grantStatement().ID, ValidFrom: time.Now().UTC().Add(-time.Second).Truncate(time.Second)}
		env, _ := json.Marshal(signWith(t, rev, frPriv))
		req, _ := http.NewRequest("POST", reps[0].url+"/v1/revocations", strings.NewReader(string(env)))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("lodge the revocation on %s: %d %s", reps[0].name, resp.StatusCode, b)
		}
		lodged := time.Now()
		bkaSecret, bkaTok, err := store.NewToken("bka", store.RoleRequester, time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateToken(ctx, bkaTok); err != nil {
			t.Fatal(err)
		}
		body := relyingRequest(t, signWith(t, grantStatement(), frPriv))
		for _, r := range reps {
			for {
				status, d, err := decideAt(r.url, bkaSecret, body)
				if err != nil {
					t.Fatal(err)
				}
				if status == http.StatusCreated && needsFR(d) {
					break // the revoked authorization no longer counts
				}
				if time.Since(lodged) > 2*registrySyncInterval+5*time.Second {
					t.Fatalf("%s still counts the revoked authorization %v after the revocation on %s: %d %s", r.name, time.Since(lodged), reps[0].name, status, d.Outcome)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	})

	t.Run("an MLA case moved on two replicas at once", func(t *testing.T) {
		tok := map[string]string{}
		for _, id := range []string{"fr-bepi", "cn-moj"} {
			secret, tk, err := store.NewToken(id, store.RoleAuthority, time.Now(), time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.CreateToken(ctx, tk); err != nil {
				t.Fatal(err)
			}
			tok[id] = secret
		}
		call := func(r *replica, method, path, token, body, ifMatch string) (int, string) {
			var rd io.Reader
			if body != "" {
				rd = strings.NewReader(body)
			}
			req, _ := http.NewRequest(method, r.url+path, rd)
			req.Header.Set("Authorization", "Bearer "+token)
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if ifMatch != "" {
				req.Header.Set("If-Match", ifMatch)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode, resp.Header.Get("ETag")
		}
		const id = "MLA-REPLICAS-1"
		if status, _ := call(reps[0], "POST", "/v1/mla", tok["fr-bepi"], `{"id":"`+id+`","requested_state":"CN","agreement":"cn-fr-mla-2005","provider":"mailco-cn",
			"scope":{"purposes":["law-enforcement"],"categories":["personal.contact"],"selectors":{"kind":"specific","count":3},"max_subjects":3,"subject_states":["CN","FR"]}}`, ""); status != http.StatusCreated {
			t.Fatalf("open on %s: %d", reps[0].name, status)
		}
		// Both other replicas receive it at the same instant: one moves it.
		var (
			wg       sync.WaitGroup
			statuses [2]int
		)
		start := make(chan struct{})
		for k, r := range reps[1:] {
			wg.Go(func() {
				<-start
				statuses[k], _ = call(r, "POST", "/v1/mla/"+id+"/receive", tok["cn-moj"], "", "")
			})
		}
		close(start)
		wg.Wait()
		if !(statuses[0] == http.StatusOK && statuses[1] == http.StatusConflict || statuses[0] == http.StatusConflict && statuses[1] == http.StatusOK) {
			t.Fatalf("receive on %s and %s at once: %v, want one 200 and one 409", reps[1].name, reps[2].name, statuses)
		}
		// An ETag read on one replica is stale once another moved the case.
		status, etag := call(reps[1], "GET", "/v1/mla/"+id, tok["cn-moj"], "", "")
		if status != http.StatusOK || etag == "" {
			t.Fatalf("GET on %s: %d, ETag %q", reps[1].name, status, etag)
		}
		if status, _ := call(reps[2], "POST", "/v1/mla/"+id+"/accept", tok["cn-moj"], "", etag); status != http.StatusOK {
			t.Fatalf("accept on %s with a fresh If-Match: %d", reps[2].name, status)
		}
		if status, _ := call(reps[1], "POST", "/v1/mla/"+id+"/refuse", tok["cn-moj"], `{"ground":"other"}`, etag); status != http.StatusPreconditionFailed {
			t.Fatalf("refuse on %s with the stale If-Match: %d, want 412", reps[1].name, status)
		}
		// Every step's private record is in the shared database, whichever
		// replica logged it.
		recs, err := st.ListMLARecords(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3 {
			t.Fatalf("%d MLA records for %s, want 3 (opened, received, accepted)", len(recs), id)
		}
		for _, r := range recs {
			e, err := ledger.ParseEntry(r.Entry)
			if err != nil {
				t.Fatal(err)
			}
			if err := ledger.VerifyPrivate(e, ledger.Private{Record: r.Record, Salt: r.Salt}); err != nil {
				t.Errorf("record at %d: %v", r.LogIndex, err)
			}
		}
	})

	// Which replica holds the reconciliation lease?
	leaseName := leaseReconcile + "accord.test/replicas"
	holderOf := func() *replica {
		app, _, err := st.LeaseHolder(ctx, leaseName)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reps {
			if strings.HasSuffix(app, fmt.Sprintf("pid=%d", r.cmd.Process.Pid)) {
				return r
			}
		}
		return nil
	}
	var holder *replica
	waitFor(t, func() bool { holder = holderOf(); return holder != nil })

	type acked struct {
		id    string
		index uint64
	}
	var (
		mu      sync.Mutex
		acks    []acked
		sent    atomic.Int64
		stop    = make(chan struct{})
		loadWG  sync.WaitGroup
		killed  atomic.Bool
		refused atomic.Int64
	)
	for w := range 6 {
		loadWG.Go(func() {
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := reps[i%3]
				sent.Add(1)
				status, d, err := decideAt(r.url, tokens["fbi"], simple)
				if err != nil || status != http.StatusCreated {
					if r != holder || !killed.Load() {
						refused.Add(1)
					}
					continue
				}
				if d.LogIndex == nil {
					t.Errorf("acknowledged decision %s without a log index", d.ID)
					continue
				}
				mu.Lock()
				acks = append(acks, acked{d.ID, *d.LogIndex})
				mu.Unlock()
			}
		})
	}
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(acks) >= 50 })
	killed.Store(true)
	holder.cmd.Process.Signal(syscall.SIGKILL)
	<-holder.done
	time.Sleep(time.Second)
	close(stop)
	loadWG.Wait()
	if n := refused.Load(); n > 0 {
		t.Errorf("%d requests to live replicas failed", n)
	}
	t.Logf("%d decisions acknowledged of %d sent; killed %s", len(acks), sent.Load(), holder.name)

	var alive []*replica
	for _, r := range reps {
		if r != holder {
			alive = append(alive, r)
		}
	}
	t.Run("lease moves", func(t *testing.T) {
		deadline := time.Now().Add(15 * time.Second)
		for {
			h := holderOf()
			if h != nil && h != holder {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the lease did not move from %s", holder.name)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("acknowledged decisions are on the log and in the store", func(t *testing.T) {
		vkey, err := os.ReadFile(filepath.Join(filepath.Dir(key), ledger.VerifierFileName))
		if err != nil {
			t.Fatal(err)
		}
		verifier, err := ledger.NewVerifier(string(vkey))
		if err != nil {
			t.Fatal(err)
		}
		src, err := ledger.OpenSource(alive[0].url+"/log/", nil)
		if err != nil {
			t.Fatal(err)
		}
		var max uint64
		for _, a := range acks {
			max = maxU(max, a.index)
		}
		var size uint64
		waitFor(t, func() bool {
			cp, err := ledger.Verify(ctx, src, verifier, "", ledger.VerifyOptions{})
			if err == nil {
				size = cp.Size
			}
			return err == nil && size > max
		})
		onLog := map[uint64]bool{}
		if err := ledger.ReadEntries(ctx, src, 0, size, func(i uint64, leaf []byte) error {
			e, err := ledger.ParseEntry(leaf)
			if err != nil {
				return err
			}
			if e.Kind == ledger.KindDecision {
				onLog[i] = true
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		recorded, err := st.RecordedIndexes(ctx, 0, size)
		if err != nil {
			t.Fatal(err)
		}
		inStore := map[uint64]bool{}
		for _, i := range recorded {
			inStore[i] = true
		}
		seen := map[uint64]string{}
		for _, a := range acks {
			if other, dup := seen[a.index]; dup {
				t.Errorf("index %d acknowledged for %s and %s", a.index, other, a.id)
			}
			seen[a.index] = a.id
			if !onLog[a.index] {
				t.Errorf("acknowledged decision %s: no decision entry at log index %d", a.id, a.index)
			}
			if !inStore[a.index] {
				t.Errorf("acknowledged decision %s (index %d) is not recorded in the store", a.id, a.index)
			}
			if rec, err := st.Decision(ctx, a.id); err != nil || rec.LogIndex != a.index {
				t.Errorf("acknowledged decision %s at %d: stored at %d, %v", a.id, a.index, rec.LogIndex, err)
			}
		}
		out, code := runAccord(t, "log", "verify", alive[1].url+"/log/", "--key", strings.TrimSpace(string(vkey)))
		if code != 0 {
			t.Fatalf("accord log verify %s: exit %d: %s", alive[1].url, code, out)
		}
	})
	for _, r := range alive {
		r.stop(t)
	}
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// TestLogMigrateThenServe: a server's POSIX log is moved into MariaDB with
// `accord log migrate`; serve --log on the same --data continues the log
// (new decisions after the old ones), and `accord log verify` passes over
// HTTP. Migrating again is refused (no log left under --data), and serve
// without --log refuses the world whose log moved away.
func TestLogMigrateThenServe(t *testing.T) {
	if testing.Short() {
		t.Skip("starts accord serve as a child process")
	}
	logURL := mysqltest.URL(t)
	dir := t.TempDir()
	c := startServeChild(t, dir, "")
	tok := demoToken(t, dir)
	simple := `{"action":"access","data":{"dataset":"crm-eu"},"purpose":"commercial","selectors":{"kind":"specific","count":1}}`
	status, before, err := decideAt(c.url, tok, simple)
	if err != nil || status != http.StatusCreated || before.LogIndex == nil {
		t.Fatalf("decision before migration: %d %v", status, err)
	}
	c.stop(t)

	out, code := runAccord(t, "log", "migrate", "--data", dir, "--to", logURL)
	if code != 0 || !strings.Contains(out, "migrated") {
		t.Fatalf("accord log migrate: exit %d: %s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "log.migrated", "checkpoint")); err != nil {
		t.Fatalf("the old log was not kept as log.migrated: %v", err)
	}
	if out, code := runAccord(t, "log", "migrate", "--data", dir, "--to", logURL); code == 0 {
		t.Fatalf("a second migration succeeded: %s", out)
	}
	if out, code := serveOnce(t, dir); code == 0 || !strings.Contains(out, "no log") {
		t.Fatalf("serve without --log after migration: exit %d: %s", code, out)
	}

	if out, code := serveOnce(t, dir, "--log", logURL, "--origin", demoLogOrigin); code != 0 {
		t.Fatalf("serve --log after migration: exit %d: %s", code, out)
	}
	c = startServeChild(t, dir, "", "--log", logURL, "--checkpoint-interval", "1s")
	status, after, err := decideAt(c.url, tok, simple)
	if err != nil || status != http.StatusCreated || after.LogIndex == nil {
		t.Fatalf("decision after migration: %d %v", status, err)
	}
	if *after.LogIndex <= *before.LogIndex {
		t.Fatalf("decision after migration at index %d, before it at %d", *after.LogIndex, *before.LogIndex)
	}
	vkey, err := os.ReadFile(filepath.Join(dir, "keys", ledger.VerifierFileName))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		_, code := runAccord(t, "log", "receipt", "--index", fmt.Sprint(*after.LogIndex), "--log", c.url+"/log/", "--key", strings.TrimSpace(string(vkey)))
		return code == 0
	})
	if out, code := runAccord(t, "log", "verify", c.url+"/log/", "--key", strings.TrimSpace(string(vkey))); code != 0 {
		t.Fatalf("accord log verify: exit %d: %s", code, out)
	}
	c.stop(t)
}

// BenchmarkReplicaDecisions measures logged binding decisions/s over HTTP
// from 32 concurrent clients, round-robin over 1, 2 and 3 `accord serve`
// replicas sharing one PostgreSQL schema and one MariaDB log, against one
// server with its POSIX log (same PostgreSQL) in the same run. On a
// machine of 2 shared cores it measures overhead, not scaling.
func BenchmarkReplicaDecisions(b *testing.B) {
	setup := func(b *testing.B, n int, mysql bool) ([]string, string) {
		db := storetest.PostgresDSN(b)
		st, err := postgres.Open(context.Background(), db)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		if err := seedDemo(context.Background(), st, io.Discard, ""); err != nil {
			b.Fatal(err)
		}
		secret, tok, err := store.NewToken("fbi", store.RoleRequester, time.Now(), time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		if err := st.CreateToken(context.Background(), tok); err != nil {
			b.Fatal(err)
		}
		dir := b.TempDir()
		var urls []string
		if !mysql {
			urls = append(urls, startBenchChild(b, []string{"serve", "--data", filepath.Join(dir, "posix"), "--addr", "127.0.0.1:0", "--db", db}))
			return urls, secret
		}
		logURL := mysqltest.URL(b)
		key := filepath.Join(dir, "keys", ledger.KeyFileName)
		for i := range n {
			urls = append(urls, startBenchChild(b, []string{"serve", "--data", filepath.Join(dir, fmt.Sprint(i)), "--addr", "127.0.0.1:0",
				"--db", db, "--log", logURL, "--log-key", key}))
		}
		return urls, secret
	}
	body := `{"action":"access","data":{"dataset":"crm-eu"},"purpose":"commercial","selectors":{"kind":"specific","count":1}}`
	run := func(b *testing.B, urls []string, tok string) {
		var next atomic.Int64
		var failed atomic.Int64
		var wg sync.WaitGroup
		b.ResetTimer()
		for range 32 {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= b.N {
						return
					}
					status, _, err := decideAt(urls[i%len(urls)], tok, body)
					if err != nil || status != http.StatusCreated {
						failed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		b.StopTimer()
		if n := failed.Load(); n > 0 {
			b.Fatalf("%d decisions failed", n)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
	}
	b.Run("posix-1", func(b *testing.B) {
		urls, tok := setup(b, 1, false)
		run(b, urls, tok)
	})
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("mysql-%d", n), func(b *testing.B) {
			urls, tok := setup(b, n, true)
			run(b, urls, tok)
		})
	}
}

// startBenchChild starts an accord serve child for a benchmark and returns
// its URL; it is killed when b ends.
func startBenchChild(b *testing.B, args []string) string {
	b.Helper()
	return startChild(b, "accord serve", args).url
}

// TestServeLogFlagRefusals: serve refuses a --log that is not mysql://, a
// --data that still holds a POSIX log, a second replica whose signing key
// differs from the one the shared log was started with, and a checkpoint
// interval the MySQL driver does not allow; the password of --log never
// appears in what serve prints.
func TestServeLogFlagRefusals(t *testing.T) {
	logURL := mysqltest.URL(t)
	db := storetest.PostgresDSN(t)
	dir := t.TempDir()

	if out, code := serveOnce(t, filepath.Join(dir, "a"), "--log", "postgres://u:secretpw@h/db"); code == 0 || !strings.Contains(out, "not a mysql:// URL") || strings.Contains(out, "secretpw") {
		t.Errorf("--log postgres://…: exit %d: %s", code, out)
	}
	withPW := strings.Replace(logURL, "mysql://root@", "mysql://root:wrongpw@", 1)
	if out, code := serveOnce(t, filepath.Join(dir, "pw"), "--log", withPW); code == 0 || strings.Contains(out, "wrongpw") {
		t.Errorf("--log with a wrong password: exit %d, or the password printed: %s", code, out)
	}

	posix := filepath.Join(dir, "posix")
	if out, code := serveOnce(t, posix); code != 0 {
		t.Fatalf("first start: exit %d: %s", code, out)
	}
	if out, code := serveOnce(t, posix, "--log", logURL); code == 0 || !strings.Contains(out, "already holds a log") {
		t.Errorf("--log on a --data with a POSIX log: exit %d: %s", code, out)
	}

	if out, code := serveOnce(t, filepath.Join(dir, "r1"), "--db", db, "--log", logURL); code != 0 {
		t.Fatalf("first replica: exit %d: %s", code, out)
	}
	// The second replica has its own DIR/keys/log.key: a different key.
	out, code := serveOnce(t, filepath.Join(dir, "r2"), "--db", db, "--log", logURL)
	if code == 0 || !strings.Contains(out, "give every replica the same key file") {
		t.Errorf("replica with another key: exit %d: %s", code, out)
	}
	if out, code := serveOnce(t, filepath.Join(dir, "r3"), "--db", db, "--log", logURL,
		"--log-key", filepath.Join(dir, "r1", "keys", ledger.KeyFileName)); code != 0 {
		t.Errorf("replica with the first one's key: exit %d: %s", code, out)
	}
	if out, code := serveOnce(t, filepath.Join(dir, "r4"), "--db", db, "--log", logURL, "--checkpoint-interval", "500ms",
		"--log-key", filepath.Join(dir, "r1", "keys", ledger.KeyFileName)); code == 0 || !strings.Contains(out, "minimum") {
		t.Errorf("--checkpoint-interval 500ms: exit %d: %s", code, out)
	}
}
