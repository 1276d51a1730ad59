package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// post sends a binding decision with an Idempotency-Key ("" for none).
func (w *bindingWorld) post(token, key, body string) (int, http.Header, model.Decision, string) {
	w.t.Helper()
	req, _ := http.NewRequest("POST", w.srv.URL+"/v1/decisions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var rec api.DecisionRecord
	_ = json.Unmarshal(b, &rec)
	return resp.StatusCode, resp.Header, rec.Decision, string(b)
}

// subjects is the rolling-12-month count of DE subjects in
// personal.communications obtained for the US, as the counters hold it.
func (w *bindingWorld) subjects() int64 {
	w.t.Helper()
	h, err := w.st.History(context.Background(), store.HistoryQuery{RequestingState: "US", At: time.Now()})
	if err != nil {
		w.t.Fatal(err)
	}
	c, err := h.Sum(model.ScopeState, model.WindowRolling12m, "DE", "personal.communications")
	if err != nil {
		w.t.Fatal(err)
	}
	return c.Subjects
}

// TestIdempotentRetry: a retried binding decision with the same
// Idempotency-Key and body gets the first answer, and takes no effect: one
// log entry, one count, on each store. The same key with another body is
// 422; concurrent requests with one key decide once.
func TestIdempotentRetry(t *testing.T) {
	gdsi := thresholdCases[2].body
	for storeName, open := range stores {
		t.Run(storeName, func(t *testing.T) {
			w := newBindingWorld(t, open(t))
			tok := w.token("fbi")
			st1, h1, d1, b1 := w.post(tok, "retry-1", gdsi)
			if st1 != http.StatusCreated || d1.ID == "" || d1.LogIndex == nil {
				t.Fatalf("first: %d %s", st1, b1)
			}
			if n := w.subjects(); n != 90 {
				t.Fatalf("after the first request the counter is %d, want 90", n)
			}
			st2, h2, d2, b2 := w.post(tok, "retry-1", gdsi)
			if st2 != st1 || b2 != b1 || h2.Get("Location") != h1.Get("Location") || h2.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("retry: %d %s (Location %q, replayed %q); want the first answer %d %s", st2, b2, h2.Get("Location"), h2.Get("Idempotent-Replayed"), st1, b1)
			}
			if d2.ID != d1.ID {
				t.Errorf("retry made decision %s, first was %s", d2.ID, d1.ID)
			}
			if n := w.subjects(); n != 90 {
				t.Errorf("after the retry the counter is %d, want 90 (counted once)", n)
			}
			// The next decision takes the next log index: the retry appended
			// nothing.
			_, _, d3, b3 := w.post(tok, "", gdsi)
			if d3.LogIndex == nil || *d3.LogIndex != *d1.LogIndex+1 {
				t.Errorf("the next decision is at log index %v (%s), want %d: the retry logged an entry", d3.LogIndex, b3, *d1.LogIndex+1)
			}
			if n := w.subjects(); n != 180 {
				t.Errorf("after a new request the counter is %d, want 180", n)
			}

			// The same key with another body.
			other := strings.Replace(gdsi, `"DE":90`, `"DE":91`, 1)
			st4, _, _, b4 := w.post(tok, "retry-1", other)
			if st4 != http.StatusUnprocessableEntity || !strings.Contains(b4, "Idempotency-Key") {
				t.Errorf("same key, other body: %d %s; want 422 naming Idempotency-Key", st4, b4)
			}
			// Another principal's key of the same text is its own.
			if st, hdr, d, b := w.post(w.token("hanwei"), "retry-1", thresholdCases[0].body); st != http.StatusCreated || hdr.Get("Idempotent-Replayed") != "" || d.ID == d1.ID {
				t.Errorf("another principal's request with the same key: %d %s, replayed %q", st, b, hdr.Get("Idempotent-Replayed"))
			}

			// Sixteen at once with one key: one decides.
			before := w.subjects()
			var (
				wg  sync.WaitGroup
				mu  sync.Mutex
				ids = map[string]int{}
				sts = map[int]int{}
			)
			for range 16 {
				wg.Go(func() {
					st, _, d, _ := w.post(tok, "burst", gdsi)
					mu.Lock()
					defer mu.Unlock()
					sts[st]++
					if st == http.StatusCreated {
						ids[d.ID]++
					}
				})
			}
			wg.Wait()
			if len(ids) != 1 || sts[http.StatusCreated]+sts[http.StatusConflict] != 16 {
				t.Errorf("16 requests with one key: statuses %v, decisions %v; want one decision, the rest replays or 409", sts, ids)
			}
			if n := w.subjects(); n != before+90 {
				t.Errorf("16 requests with one key counted %d subjects, want 90", n-before)
			}
		})
	}
}
