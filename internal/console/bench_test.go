package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// benchConsole returns a console over the fake API and a session cookie
// for the auditor.
func benchConsole(b *testing.B) (http.Handler, *fakeAPI, *http.Cookie) {
	b.Helper()
	api := newFakeAPI()
	c, err := New(Config{API: api})
	if err != nil {
		b.Fatal(err)
	}
	var who whoami
	who.Principal.ID, who.Role = "demo-auditor", "auditor"
	id := c.sessions.create("tok-auditor", who)
	return Mount(c, api), api, &http.Cookie{Name: sessionCookie, Value: id}
}

// BenchmarkDecisionsPage draws the Decisions page (a whoami check, the
// listing, the template) in process; its peer, BenchmarkDecisionsAPI, is
// the listing call alone, so the ratio is the console's cost over the API.
func BenchmarkDecisionsPage(b *testing.B) {
	h, _, ck := benchConsole(b)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodGet, "/console/decisions?outcome=pending", nil)
		r.AddCookie(ck)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkDecisionsAPI is the peer: the same listing asked of the API.
func BenchmarkDecisionsAPI(b *testing.B) {
	_, api, _ := benchConsole(b)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodGet, "/v1/decisions?"+url.Values{"outcome": {"pending"}, "page_size": {"50"}}.Encode(), nil)
		r.Header.Set("Authorization", "Bearer tok-auditor")
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "dec-2") {
			b.Fatal(w.Code)
		}
	}
}
