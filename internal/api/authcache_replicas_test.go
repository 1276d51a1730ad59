package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/store"
)

// TestRevocationBoundAcrossServers: two servers on one store (two
// replicas), each with its own clock and auth cache. A token both have
// just authenticated is revoked in the store (as `accord token revoke
// --db` does, on neither server). Each may still trust its cached read for
// less than --auth-cache after that read, and refuses the token from
// --auth-cache after it on: a read that found the token valid came before
// the revocation, so the revocation is in effect everywhere --auth-cache
// after it was committed, whatever the servers' clocks say.
func TestRevocationBoundAcrossServers(t *testing.T) {
	const ttl = 10 * time.Second
	start := time.Now()
	var clocks [2]atomic.Pointer[time.Time]
	for i := range clocks {
		clocks[i].Store(&start)
	}
	e := newEnv(t, func(c *api.Config) {
		c.AuthCacheTTL = ttl
		c.Now = func() time.Time { return *clocks[0].Load() }
	})
	cfg := *e.cfg
	cfg.Now = func() time.Time { return *clocks[1].Load() }
	other := httptest.NewServer(api.New(cfg))
	t.Cleanup(other.Close)
	servers := []string{e.srv.URL, other.URL}

	secret := e.token("acme", store.RoleRequester, start, time.Hour)
	get := func(i int) int {
		req, _ := http.NewRequest("GET", servers[i]+"/v1/datasets", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// The second server's clock runs 3 s ahead: the bound holds on each
	// server's own clock.
	skew := [2]time.Duration{0, 3 * time.Second}
	at := func(i int, d time.Duration) { t2 := start.Add(skew[i] + d); clocks[i].Store(&t2) }
	for i := range servers {
		at(i, 0)
		if got := get(i); got != http.StatusOK {
			t.Fatalf("server %d: fresh token: %d", i, got)
		}
	}
	toks, err := e.st.ListTokens(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range toks {
		if string(tk.Hash) == string(store.HashToken(secret)) {
			if err := e.st.RevokeToken(context.Background(), tk.ID, start); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range servers {
		at(i, ttl-time.Nanosecond)
		if got := get(i); got != http.StatusOK {
			t.Errorf("server %d, just under the bound after its read: %d, want 200 (the cached read: the TTL is the whole mechanism)", i, got)
		}
		at(i, ttl)
		if got := get(i); got != http.StatusUnauthorized {
			t.Errorf("server %d, at the bound: %d, want 401", i, got)
		}
	}
}
