package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestLoopback(t *testing.T) {
	cases := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8181", true},
		{"http://[::1]:8181", true},
		{"http://localhost:8181", false}, // a name, not an address
		{"http://10.0.0.1:8181", false},
		{"http://example.com", false},
		{"::", false},
	}
	for _, c := range cases {
		if err := loopback(c.url); (err == nil) != c.ok {
			t.Errorf("loopback(%q) = %v, want ok %v", c.url, err, c.ok)
		}
	}
}

func TestOutcome(t *testing.T) {
	deny := map[string]bool{"d": true}
	cases := []struct {
		fired, unsat []string
		want         string
	}{
		{nil, nil, "allow"},
		{[]string{"o"}, nil, "allow"},
		{[]string{"r"}, []string{"r"}, "pending"},
		{[]string{"r", "d"}, []string{"r"}, "deny"},
	}
	for _, c := range cases {
		if got := outcome(c.fired, c.unsat, deny); string(got) != c.want {
			t.Errorf("outcome(%v, %v) = %s, want %s", c.fired, c.unsat, got, c.want)
		}
	}
}

// TestAgree shows that the pre-measurement check fails when the two
// servers disagree on the outcome or on the rule ids, and passes when they
// agree.
func TestAgree(t *testing.T) {
	const accord = `{"outcome":"allow","reasons":[{"rule":"gdsi-4-local-law","pack":"gdsi"},{"rule":"x-other","pack":"other"}],"packs":[{"pack":"gdsi","outcome":"allow"}],"binding":false,"time":"2026-01-01T00:00:00Z"}`
	deny, err := gdsiDenyIDs()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, opa string
		ok        bool
	}{
		{"agree", `{"result":{"fired":["gdsi-4-local-law"],"unsatisfied":[]}}`, true},
		{"other rules", `{"result":{"fired":["gdsi-1-evidence","gdsi-4-local-law"],"unsatisfied":[]}}`, false},
		{"other outcome", `{"result":{"fired":["gdsi-4-local-law","gdsi-3-mass-surveillance"],"unsatisfied":[]}}`, false},
		{"undefined", `{}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			serve := func(body string) *httptest.Server {
				return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = w.Write([]byte(body))
				}))
			}
			a, o := serve(accord), serve(c.opa)
			defer a.Close()
			defer o.Close()
			hc := &http.Client{Timeout: 5 * time.Second}
			_, _, err := agree(hc, target{name: "accord", url: a.URL, okCode: 200, header: http.Header{}},
				target{name: "opa", url: o.URL, okCode: 200, header: http.Header{}}, deny)
			if (err == nil) != c.ok {
				t.Errorf("agree: %v, want ok %v", err, c.ok)
			}
		})
	}
}

func TestOPABody(t *testing.T) {
	b, err := opaBody(scenarios["foreign"], time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"input":`, `"requester":{`, `"jurisdiction":"FR"`, `"location":"DE"`, `"time":"2026-11-23T00:00:00Z"`, `"authorized":[]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("opa body %s lacks %s", b, want)
		}
	}
}
