package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/accord-dev/accord/internal/locale"
)

// RateLimit bounds how fast one principal may call the API: a token bucket
// per principal, refilled at PerSecond up to Burst. A request beyond it is
// answered 429 with Retry-After; every answer to an authenticated request
// carries the RateLimit and RateLimit-Policy fields of the IETF draft
// (draft-ietf-httpapi-ratelimit-headers). The buckets are in the process:
// with several `accord serve` processes each allows the rate.
type RateLimit struct {
	// PerSecond is the sustained rate; zero or less: no limit.
	PerSecond float64
	// Burst is how many requests may come at once (at least 1).
	Burst int
}

// DefaultRateLimit is what `accord serve` applies unless told otherwise:
// enough for a busy service, not for one that loops on a retry.
var DefaultRateLimit = RateLimit{PerSecond: 50, Burst: 100}

// maxBuckets bounds the buckets kept; past it, full ones are dropped.
const maxBuckets = 10000

// limiter holds the buckets.
type limiter struct {
	cfg     RateLimit
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// take spends one token of principal's bucket at now. It reports whether
// the request may go on, the tokens left, and the seconds until one more
// token (when none is left) or until the bucket is full.
func (l *limiter) take(principal string, now time.Time) (ok bool, left int, wait float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	burst := float64(max(l.cfg.Burst, 1))
	b := l.buckets[principal]
	if b == nil {
		if l.buckets == nil {
			l.buckets = map[string]*bucket{}
		}
		if len(l.buckets) >= maxBuckets {
			l.prune(now, burst)
		}
		b = &bucket{tokens: burst, at: now}
		l.buckets[principal] = b
	}
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = math.Min(burst, b.tokens+el*l.cfg.PerSecond)
	}
	b.at = now
	if b.tokens < 1 {
		return false, 0, (1 - b.tokens) / l.cfg.PerSecond
	}
	b.tokens--
	return true, int(b.tokens), (burst - b.tokens) / l.cfg.PerSecond
}

// prune drops the buckets that are full again at now.
func (l *limiter) prune(now time.Time, burst float64) {
	for p, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.cfg.PerSecond >= burst {
			delete(l.buckets, p)
		}
	}
	if len(l.buckets) >= maxBuckets {
		l.buckets = map[string]*bucket{} // every principal is busy: start afresh
	}
}

// rateLimited spends a token of c's principal, sets the RateLimit fields,
// and answers 429 when none is left; it reports whether it did.
func (s *Server) rateLimited(w http.ResponseWriter, r *http.Request, c caller) bool {
	l := s.limits
	if l == nil {
		return false
	}
	ok, left, wait := l.take(c.principal.ID, s.cfg.Now())
	window := int(math.Ceil(float64(max(l.cfg.Burst, 1)) / l.cfg.PerSecond))
	w.Header().Set("RateLimit-Policy", `"principal";q=`+strconv.Itoa(max(l.cfg.Burst, 1))+`;w=`+strconv.Itoa(max(window, 1)))
	secs := int(math.Ceil(wait))
	w.Header().Set("RateLimit", `"principal";r=`+strconv.Itoa(left)+`;t=`+strconv.Itoa(secs))
	if ok {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	writeProblem(w, r, newProblem(http.StatusTooManyRequests, locale.Errorf("principal %s sent more than %s requests a second (bursts of %s); retry after Retry-After seconds",
		c.principal.ID, strconv.FormatFloat(l.cfg.PerSecond, 'f', -1, 64), strconv.Itoa(max(l.cfg.Burst, 1)))))
	return true
}
