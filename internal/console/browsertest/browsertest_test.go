package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAxeFindsViolations is the control: a page with an unlabelled input
// and an image without text must give axe violations, so that a clean
// result elsewhere means something.
func TestAxeFindsViolations(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html><head><title>x</title></head><body><main><h1>Control</h1><img src="/x.png"><input type="text"></main></body></html>`)
	}))
	defer srv.Close()
	b := Start(t)
	b.Go(t, srv.URL)
	vs := b.axeViolations(t)
	found := map[string]bool{}
	for _, v := range vs {
		found[v.ID] = true
	}
	if !found["image-alt"] || !found["label"] {
		t.Fatalf("axe found %+v; want image-alt and label", vs)
	}
}

// TestCSPViolationsSeen is the CSP watch's control: a page whose policy
// forbids its own inline style reports the violation.
func TestCSPViolationsSeen(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html lang="en"><head><title>x</title><style>h1{color:red}</style></head><body><main><h1>Control</h1></main></body></html>`)
	}))
	defer srv.Close()
	b := Start(t)
	b.Go(t, srv.URL)
	var vs []string
	b.Eval(t, `window.__csp || []`, &vs)
	if len(vs) == 0 || !strings.Contains(vs[0], "style-src") {
		t.Fatalf("CSP violations seen: %q; want the inline style", vs)
	}
}
