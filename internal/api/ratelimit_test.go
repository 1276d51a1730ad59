package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/store"
)

// TestRateLimit: a principal past its burst gets 429 with Retry-After and
// the RateLimit fields, others are not affected, and the bucket refills
// with the clock.
func TestRateLimit(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC).UnixNano())
	e := newEnv(t, func(c *api.Config) {
		c.RateLimit = &api.RateLimit{PerSecond: 2, Burst: 5}
		c.Now = func() time.Time { return time.Unix(0, now.Load()) }
	})
	op, aud := e.tokens[store.RoleOperator], e.tokens[store.RoleAuditor]
	statuses := map[int]int{}
	var last answer
	for range 8 {
		last = e.do(call{method: "GET", path: "/v1/datasets", token: op})
		statuses[last.status]++
	}
	if statuses[http.StatusOK] != 5 || statuses[http.StatusTooManyRequests] != 3 {
		t.Fatalf("8 requests at once with a burst of 5: %v", statuses)
	}
	if last.header.Get("Retry-After") != "1" || !strings.HasSuffix(last.problem.Type, "/rate-limited") {
		t.Errorf("429: Retry-After %q, type %q", last.header.Get("Retry-After"), last.problem.Type)
	}
	if got := last.header.Get("RateLimit"); got != `"principal";r=0;t=1` {
		t.Errorf("RateLimit %q", got)
	}
	if got := last.header.Get("RateLimit-Policy"); got != `"principal";q=5;w=3` {
		t.Errorf("RateLimit-Policy %q", got)
	}
	// Another principal has its own bucket.
	if a := e.do(call{method: "GET", path: "/v1/datasets", token: aud}); a.status != http.StatusOK {
		t.Errorf("another principal: %d", a.status)
	} else if r := a.header.Get("RateLimit"); !strings.HasPrefix(r, `"principal";r=4;`) {
		t.Errorf("another principal's RateLimit %q", r)
	}
	// One second later two more tokens.
	now.Add(int64(time.Second))
	ok := 0
	for range 3 {
		if e.do(call{method: "GET", path: "/v1/datasets", token: op}).status == http.StatusOK {
			ok++
		}
	}
	if ok != 2 {
		t.Errorf("after a second at 2/s: %d allowed, want 2", ok)
	}
	// Unauthenticated endpoints are not limited.
	for i := range 10 {
		if a := e.do(call{method: "GET", path: "/healthz"}); a.status != http.StatusOK {
			t.Fatalf("healthz %d: %d", i, a.status)
		}
	}
	if n, _ := strconv.Atoi(last.header.Get("Retry-After")); n < 1 {
		t.Error("Retry-After below 1")
	}
}
