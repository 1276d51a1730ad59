package console

import (
	"bytes"
	"flag"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is a console over a fake API, served by httptest, and a browser
// (a client with a cookie jar that does not follow redirects).
type harness struct {
	t     *testing.T
	api   *fakeAPI
	con   *Console
	srv   *httptest.Server
	clk   *clock
	jar   http.CookieJar
	cl    *http.Client
	token string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, api: newFakeAPI(), clk: &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}}
	c, err := New(Config{API: h.api, Now: h.clk.now, IdleTimeout: 30 * time.Minute, MaxAge: 8 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	h.con = c
	h.srv = httptest.NewServer(Mount(c, h.api))
	t.Cleanup(h.srv.Close)
	h.jar, _ = cookiejar.New(nil)
	h.cl = &http.Client{Jar: h.jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return h
}

// do sends a request as the browser would (same-origin for POSTs unless
// the header says otherwise) and returns the status, headers and body.
func (h *harness) do(method, path string, body io.Reader, hdr http.Header) (int, http.Header, string) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if method == http.MethodPost && req.Header.Get("Sec-Fetch-Site") == "" && req.Header.Get("Origin") == "" {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := h.cl.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func (h *harness) get(path string) (int, http.Header, string) {
	return h.do(http.MethodGet, path, nil, nil)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of a form on the page at path.
func (h *harness) csrf(path string) string {
	h.t.Helper()
	_, _, body := h.get(path)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		h.t.Fatalf("no csrf field on %s", path)
	}
	return m[1]
}

func (h *harness) postForm(path string, form url.Values, hdr http.Header) (int, http.Header, string) {
	if hdr == nil {
		hdr = http.Header{}
	}
	hdr.Set("Content-Type", "application/x-www-form-urlencoded")
	return h.do(http.MethodPost, path, strings.NewReader(form.Encode()), hdr)
}

// signIn signs in with token and checks it worked.
func (h *harness) signIn(token string) {
	h.t.Helper()
	csrf := h.csrf("/console/signin")
	st, hd, body := h.postForm("/console/signin", url.Values{"csrf": {csrf}, "token": {token}}, nil)
	if want := landing(h.api.tokens[token].Role); st != http.StatusSeeOther || hd.Get("Location") != want {
		h.t.Fatalf("sign-in: %d %s (want %s) %s", st, hd.Get("Location"), want, body)
	}
	h.token = token
}

func TestRootGoesToSignIn(t *testing.T) {
	h := newHarness(t)
	st, hd, _ := h.get("/")
	if st != http.StatusSeeOther || hd.Get("Location") != "/console/signin" {
		t.Fatalf("GET / = %d %s", st, hd.Get("Location"))
	}
	// The API keeps its paths.
	st, _, body := h.get("/v1/nothing")
	if st != http.StatusUnauthorized && st != http.StatusNotFound {
		t.Fatalf("GET /v1/nothing went to the console: %d %s", st, body)
	}
	for _, p := range []string{"/console/decisions", "/console/pending", "/console/log"} {
		st, hd, _ := h.get(p)
		if st != http.StatusSeeOther || hd.Get("Location") != "/console/signin" {
			t.Errorf("signed out GET %s = %d %s", p, st, hd.Get("Location"))
		}
	}
}

func TestSignIn(t *testing.T) {
	tests := []struct {
		name      string
		token     string
		csrf      string // "" = the form's
		site      string
		wantCode  int
		wantInBod string
	}{
		{"unknown token", "tok-nobody", "", "", http.StatusUnauthorized, "unknown, expired or revoked"},
		{"empty token", "", "", "", http.StatusBadRequest, "Paste an API token"},
		{"token with spaces", "a b", "", "", http.StatusBadRequest, "Paste an API token"},
		{"no csrf", "tok-requester", "-", "", http.StatusForbidden, "security token"},
		{"wrong csrf", "tok-requester", "forged", "", http.StatusForbidden, "security token"},
		{"cross-site", "tok-requester", "", "cross-site", http.StatusForbidden, "another site"},
		{"good", "tok-requester", "", "", http.StatusSeeOther, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			csrf := h.csrf("/console/signin")
			switch tt.csrf {
			case "-":
				csrf = ""
			case "":
			default:
				csrf = tt.csrf
			}
			hdr := http.Header{}
			if tt.site != "" {
				hdr.Set("Sec-Fetch-Site", tt.site)
			}
			st, hd, body := h.postForm("/console/signin", url.Values{"csrf": {csrf}, "token": {tt.token}}, hdr)
			if st != tt.wantCode || !strings.Contains(body, tt.wantInBod) {
				t.Fatalf("= %d, want %d with %q; body %s", st, tt.wantCode, tt.wantInBod, body)
			}
			if st != http.StatusSeeOther {
				if h.con.sessions.count() != 0 {
					t.Fatal("a refused sign-in created a session")
				}
				return
			}
			var ck *http.Cookie
			for _, c := range (&http.Response{Header: hd}).Cookies() {
				if c.Name == sessionCookie {
					ck = c
				}
			}
			if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure {
				t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, not Secure over plain HTTP", ck)
			}
			if strings.Contains(ck.Value, tt.token) {
				t.Fatal("the cookie carries the token")
			}
		})
	}
}

func TestSecureCookieUnderTLS(t *testing.T) {
	api := newFakeAPI()
	c, err := New(Config{API: api})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(Mount(c, api))
	defer srv.Close()
	cl := srv.Client()
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := cl.Get(srv.URL + "/console/signin")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csrf := csrfField.FindStringSubmatch(string(body))[1]
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/console/signin", strings.NewReader(url.Values{"csrf": {csrf}, "token": {"tok-auditor"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, ck := range resp.Cookies() {
		req.AddCookie(ck)
	}
	resp2, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	found := false
	for _, ck := range resp2.Cookies() {
		if ck.Name == sessionCookie {
			found = true
			if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
				t.Fatalf("under TLS the session cookie is %+v", ck)
			}
		}
	}
	if !found {
		t.Fatalf("no session cookie: %d", resp2.StatusCode)
	}
	if resp2.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS under TLS")
	}
}

func TestSessionEnds(t *testing.T) {
	tests := []struct {
		name string
		end  func(h *harness)
	}{
		{"idle", func(h *harness) { h.clk.add(31 * time.Minute) }},
		{"max age", func(h *harness) {
			for range 17 { // used every 29 minutes, for more than 8 hours
				h.clk.add(29 * time.Minute)
				h.get("/console/decisions")
			}
		}},
		{"sign-out", func(h *harness) {
			csrf := h.csrf("/console/decisions")
			st, hd, _ := h.postForm("/console/signout", url.Values{"csrf": {csrf}}, nil)
			if st != http.StatusSeeOther || hd.Get("Location") != "/console/signin" {
				h.t.Fatalf("sign-out = %d %s", st, hd.Get("Location"))
			}
		}},
		{"token revoked", func(h *harness) { h.api.revoke(h.token) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.signIn("tok-requester")
			// Keep the cookie to replay it after the end.
			u, _ := url.Parse(h.srv.URL)
			old := h.jar.Cookies(u)
			if st, _, _ := h.get("/console/decisions"); st != http.StatusOK {
				t.Fatalf("signed in: %d", st)
			}
			tt.end(h)
			h.jar.SetCookies(u, old)
			st, hd, _ := h.get("/console/decisions")
			if st != http.StatusSeeOther || !strings.HasPrefix(hd.Get("Location"), "/console/signin") {
				t.Fatalf("after the end: %d %s", st, hd.Get("Location"))
			}
			if n := h.con.sessions.count(); n != 0 && tt.name != "max age" && tt.name != "idle" {
				t.Fatalf("%d sessions left", n)
			}
		})
	}
}

func TestRevokedTokenEndsEverySession(t *testing.T) {
	h := newHarness(t)
	h.signIn("tok-requester")
	h2 := &harness{t: t, api: h.api, con: h.con, srv: h.srv, clk: h.clk}
	h2.jar, _ = cookiejar.New(nil)
	h2.cl = &http.Client{Jar: h2.jar, CheckRedirect: h.cl.CheckRedirect}
	h2.signIn("tok-requester")
	if n := h.con.sessions.count(); n != 2 {
		t.Fatalf("%d sessions, want 2", n)
	}
	h.api.revoke("tok-requester")
	st, hd, _ := h.get("/console/log")
	if st != http.StatusSeeOther || hd.Get("Location") != "/console/signin?why=ended" {
		t.Fatalf("after revocation: %d %s", st, hd.Get("Location"))
	}
	if n := h.con.sessions.count(); n != 0 {
		t.Fatalf("%d sessions left after the token was refused; want 0", n)
	}
	_, _, body := h.get("/console/signin?why=ended")
	if !strings.Contains(body, "Your session ended") {
		t.Fatal("the sign-in page does not say why")
	}
}

func TestFormsRefuseForgery(t *testing.T) {
	h := newHarness(t)
	h.signIn("tok-auditor")
	good := h.csrf("/console/decisions/dec-2")
	tests := []struct {
		name string
		csrf string
		hdr  http.Header
		want int
	}{
		{"no token", "", nil, http.StatusForbidden},
		{"another session's token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", nil, http.StatusForbidden},
		{"cross-site fetch", good, http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"foreign origin, older browser", good, http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
		{"same origin with token", good, nil, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, body := h.postForm("/console/decisions/dec-2/verify", url.Values{"csrf": {tt.csrf}}, tt.hdr)
			if st != tt.want {
				t.Fatalf("= %d, want %d: %s", st, tt.want, body)
			}
		})
	}
}

func TestDecisionFilters(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		wantCode  int
		wantField string     // a field named in the error
		wantAPI   url.Values // what reached the API
	}{
		{"none", "", http.StatusOK, "", url.Values{"page_size": {"50"}}},
		{"outcome", "outcome=pending", http.StatusOK, "", url.Values{"outcome": {"pending"}, "page_size": {"50"}}},
		{"state upper-cased", "requesting_state=de", http.StatusOK, "", url.Values{"requesting_state": {"DE"}, "page_size": {"50"}}},
		{"dates", "since=2026-11-01&until=2026-11-30", http.StatusOK, "", url.Values{"since": {"2026-11-01T00:00:00Z"}, "until": {"2026-12-01T00:00:00Z"}, "page_size": {"50"}}},
		{"bad outcome", "outcome=maybe", http.StatusBadRequest, "outcome", nil},
		{"bad state", "location=France", http.StatusBadRequest, "location", nil},
		{"bad date", "since=yesterday", http.StatusBadRequest, "since", nil},
		{"injection in a code", "rule=" + url.QueryEscape("x' OR 1=1 --"), http.StatusBadRequest, "rule", nil},
		{"bad page size", "page_size=100000", http.StatusBadRequest, "page_size", nil},
		{"unknown parameter", "principal=bka", http.StatusBadRequest, "form", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.signIn("tok-auditor")
			before := len(h.api.queries)
			st, _, body := h.get("/console/decisions?" + tt.query)
			if st != tt.wantCode {
				t.Fatalf("= %d, want %d: %s", st, tt.wantCode, body)
			}
			if tt.wantField != "" {
				if !strings.Contains(body, `href="#f-`+tt.wantField+`"`) {
					t.Fatalf("the error does not name %s: %s", tt.wantField, body)
				}
				if len(h.api.queries) != before {
					t.Fatal("an invalid filter reached the API")
				}
				return
			}
			got := h.api.queries[len(h.api.queries)-1]
			if got.Encode() != tt.wantAPI.Encode() {
				t.Fatalf("API query %s, want %s", got.Encode(), tt.wantAPI.Encode())
			}
		})
	}
}

func TestExportDecisions(t *testing.T) {
	h := newHarness(t)
	h.signIn("tok-auditor")
	st, hd, body := h.get("/console/decisions/export?format=csv&outcome=pending")
	if st != http.StatusOK || !strings.HasPrefix(hd.Get("Content-Type"), "text/csv") || !strings.Contains(hd.Get("Content-Disposition"), "attachment") {
		t.Fatalf("= %d %v", st, hd)
	}
	if want := "id,time,outcome,requesting_state,location\ndec-2,2026-11-22T11:00:00Z,pending,DE,FR\n"; body != want {
		t.Fatalf("CSV:\n%s\nwant\n%s", body, want)
	}
	if st, _, _ := h.get("/console/decisions/export?format=xml"); st != http.StatusBadRequest {
		t.Fatalf("format=xml: %d", st)
	}
	// The page links the export of exactly what it shows.
	_, _, page := h.get("/console/decisions?outcome=deny")
	if !strings.Contains(page, `/console/decisions/export?format=csv&amp;outcome=deny`) {
		t.Fatal("the page's CSV link is not the filtered export")
	}
}

func TestLanguages(t *testing.T) {
	tests := []struct {
		name, query, accept string
		wantCode            int
		want                []string
	}{
		{"default", "", "", http.StatusOK, []string{`<html lang="en" dir="ltr">`, "Sign in"}},
		{"query", "?lang=fr", "", http.StatusOK, []string{`<html lang="fr" dir="ltr">`, "Se connecter"}},
		{"accept-language", "", "de-DE, fr;q=0.8", http.StatusOK, []string{`lang="fr"`}},
		{"arabic right to left", "?lang=ar", "", http.StatusOK, []string{`<html lang="ar" dir="rtl">`, "تسجيل الدخول"}},
		{"chinese", "?lang=zh", "", http.StatusOK, []string{`lang="zh"`, "登录"}},
		{"spanish", "?lang=es", "", http.StatusOK, []string{"Iniciar sesión"}},
		{"russian", "?lang=ru", "", http.StatusOK, []string{"Войти"}},
		{"unknown", "?lang=xx", "", http.StatusBadRequest, []string{"has no catalog", "en, ", "fr"}},
		{"not a tag", "?lang=%3Cscript%3E", "", http.StatusBadRequest, []string{"&#34;&lt;script&gt;&#34;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			hdr := http.Header{}
			if tt.accept != "" {
				hdr.Set("Accept-Language", tt.accept)
			}
			st, _, body := h.do(http.MethodGet, "/console/signin"+tt.query, nil, hdr)
			if st != tt.wantCode {
				t.Fatalf("= %d, want %d", st, tt.wantCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("no %q in\n%s", w, body)
				}
			}
		})
	}
	// The choice sticks in a cookie.
	h := newHarness(t)
	h.get("/console/signin?lang=ar")
	_, _, body := h.get("/console/signin")
	if !strings.Contains(body, `dir="rtl"`) {
		t.Fatal("the language cookie was not kept")
	}
}

func TestOutputEscaped(t *testing.T) {
	h := newHarness(t)
	h.signIn("tok-requester")
	_, _, body := h.get("/console/decisions/dec-2")
	if strings.Contains(body, "<b>FR</b>") || !strings.Contains(body, "&lt;b&gt;FR&lt;/b&gt;&#39;s authorization &amp; a basis") {
		t.Fatalf("a pack message is not escaped:\n%s", body)
	}
}

// Every page: the strict CSP, no inline script or style.
func TestPagesStrictCSP(t *testing.T) {
	inline := regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]|<script>|\sstyle=|<style|\son[a-z]+=`)
	h := newHarness(t)
	h.signIn("tok-auditor")
	for _, p := range []string{"/console/signin", "/console/decisions", "/console/decisions/dec-2", "/console/pending", "/console/log",
		"/console/registry", "/console/mla", "/console/reports?period=2026-11", "/console/flows", "/console/nowhere",
		"/console/approvals", "/console/approvals/apr-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "/console/datasets", "/console/datasets/crm-eu", "/console/advisories", "/console/decisions/dec-4"} {
		st, hd, body := h.get(p)
		if st >= 500 {
			t.Errorf("%s: %d", p, st)
		}
		if hd.Get("Content-Security-Policy") != contentSecurityPolicy {
			t.Errorf("%s: CSP %q", p, hd.Get("Content-Security-Policy"))
		}
		if hd.Get("X-Frame-Options") != "DENY" || hd.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: framing or sniffing headers missing", p)
		}
		if m := inline.FindString(body); m != "" {
			t.Errorf("%s: inline script or style %q", p, m)
		}
	}
	st, hd, _ := h.get("/console/static/htmx.min.js")
	if st != http.StatusOK || !strings.Contains(hd.Get("Content-Type"), "javascript") {
		t.Fatalf("htmx: %d %s", st, hd.Get("Content-Type"))
	}
}

func TestLodgeAuthorization(t *testing.T) {
	envelope := `{"payloadType":"application/vnd.accord.statement+json","payload":"e30=","signatures":[{"keyid":"k","sig":"c2ln"}]}`
	tests := []struct {
		name, token, file string
		csrf              bool
		want              int
		wantBody          string
		lodged            int
	}{
		{"authority", "tok-authority", envelope, true, http.StatusCreated, "lodged at log index 9", 1},
		{"not JSON", "tok-authority", "{nope", true, http.StatusBadRequest, "not JSON (byte", 0},
		{"not an envelope", "tok-authority", `{"a":1}`, true, http.StatusBadRequest, "not a DSSE envelope", 0},
		{"no file", "tok-authority", "", true, http.StatusBadRequest, "choose the envelope file", 0},
		{"requester", "tok-requester", envelope, true, http.StatusForbidden, "may not POST /v1/authorizations", 0},
		{"no csrf", "tok-authority", envelope, false, http.StatusForbidden, "security token", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.signIn(tt.token)
			csrf := h.csrf("/console/pending")
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			if tt.csrf {
				_ = mw.WriteField("csrf", csrf)
			}
			_ = mw.WriteField("idem", "k1")
			if tt.file != "" {
				fw, _ := mw.CreateFormFile("envelope", "authorization.dsse.json")
				_, _ = io.WriteString(fw, tt.file)
			}
			mw.Close()
			st, _, body := h.do(http.MethodPost, "/console/authorizations", &buf, http.Header{"Content-Type": {mw.FormDataContentType()}})
			if st != tt.want || !strings.Contains(body, tt.wantBody) {
				t.Fatalf("= %d, want %d with %q:\n%s", st, tt.want, tt.wantBody, body)
			}
			if h.api.lodged != tt.lodged {
				t.Fatalf("API saw %d lodgings, want %d", h.api.lodged, tt.lodged)
			}
		})
	}
}

func TestResubmit(t *testing.T) {
	tests := []struct {
		name, measure string
		want          int
		wantLoc       string
		wantBody      string
	}{
		{"a measure the decision waits for", "scc", http.StatusSeeOther, "/console/decisions/dec-9?from=dec-2", ""},
		{"a measure it does not wait for", "customer-approval", http.StatusBadRequest, "", "must be one of the measures"},
		{"nothing", "", http.StatusBadRequest, "", "choose a measure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.signIn("tok-requester")
			csrf := h.csrf("/console/decisions/dec-2")
			st, hd, body := h.postForm("/console/pending/dec-2/resubmit", url.Values{"csrf": {csrf}, "measure": {tt.measure}, "idem": {"k"}}, nil)
			if st != tt.want || hd.Get("Location") != tt.wantLoc || !strings.Contains(body, tt.wantBody) {
				t.Fatalf("= %d %s, want %d %s with %q:\n%s", st, hd.Get("Location"), tt.want, tt.wantLoc, tt.wantBody, body)
			}
		})
	}
}

func TestReportsAndFlows(t *testing.T) {
	h := newHarness(t)
	h.signIn("tok-auditor")
	st, _, body := h.get("/console/reports?period=2026-11")
	if st != http.StatusOK {
		t.Fatalf("reports: %d %s", st, body)
	}
	for _, w := range []string{`<svg id="chart-by-state"`, `<svg id="chart-outcomes"`, `<svg id="chart-trend"`, "Verified against log accord.example/test", "What each column means"} {
		if !strings.Contains(body, w) {
			t.Errorf("reports: no %q", w)
		}
	}
	if st, _, body := h.get("/console/reports?period=last-week"); st != http.StatusBadRequest || !strings.Contains(body, `href="#f-period"`) {
		t.Errorf("bad period: %d", st)
	}
	st, _, body = h.get("/console/flows?since=2026-11-01")
	if st != http.StatusOK || !strings.Contains(body, `<svg id="chart-flows"`) || !strings.Contains(body, "DE → FR: 1") {
		t.Fatalf("flows: %d\n%s", st, body)
	}
	st, hd, csv := h.get("/console/flows?since=2026-11-01&format=csv")
	golden(t, "flows.csv", csv)
	if st != http.StatusOK || !strings.HasPrefix(hd.Get("Content-Type"), "text/csv") {
		t.Fatalf("flows CSV: %d", st)
	}
	// A requester's report page says what its role may not do, no more.
	h2 := newHarness(t)
	h2.signIn("tok-requester")
	if st, _, body := h2.get("/console/reports"); st != http.StatusForbidden || !strings.Contains(body, "for auditors") {
		t.Fatalf("requester reports: %d", st)
	}
}

func TestDecisionsPageGolden(t *testing.T) {
	h := newHarness(t)
	h.signIn("tok-auditor")
	_, _, body := h.get("/console/decisions?lang=fr&outcome=pending")
	body = csrfField.ReplaceAllString(body, `name="csrf" value="CSRF"`)
	golden(t, "decisions-fr.html", body)
}

// golden compares got with testdata/name (-update rewrites it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Fatalf("%s differs from the golden file; got:\n%s", name, got)
	}
}

func TestOtherPagesExport(t *testing.T) {
	tests := []struct {
		name, path string
		want       int
		wantType   string
		wantBody   []string
	}{
		{"registry JSON", "/console/registry?kind=jurisdictions&format=json", http.StatusOK, "application/json", []string{`"code":"FR"`}},
		{"registry bad format", "/console/registry?format=xml", http.StatusBadRequest, "text/html", []string{`href="#f-format"`}},
		{"registry bad kind", "/console/registry?kind=secrets", http.StatusBadRequest, "text/html", []string{`href="#f-kind"`}},
		{"MLA, overdue first", "/console/mla", http.StatusOK, "text/html", []string{"MLA-1", "late by 1248h0m0s", "mla?format=csv"}},
		{"MLA by state", "/console/mla?state=de", http.StatusOK, "text/html", []string{"MLA-2", "format=csv&amp;state=DE"}},
		{"MLA CSV", "/console/mla?format=csv", http.StatusOK, "text/csv", []string{"id,state,requesting_state,requested_state,opened_at,answer_by,late\nMLA-1,received,FR,CN,2026-09-01T00:00:00Z,2026-10-01T00:00:00Z,1248h0m0s\nMLA-2,opened,DE,FR,"}},
		{"MLA bad status", "/console/mla?status=lost", http.StatusBadRequest, "text/html", []string{`href="#f-status"`}},
		{"MLA case steps", "/console/mla/MLA-1", http.StatusOK, "text/html", []string{"opened", "received", "by cn-moj (CN)", "log index 4"}},
		{"MLA bad id", "/console/mla/%3Cx%3E", http.StatusBadRequest, "text/html", []string{"is not a case id"}},
		{"log", "/console/log", http.StatusOK, "text/html", []string{"witness.example/w1 — witness cosignature", "Every entry re-read and hashed: 7 entries."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.signIn("tok-auditor")
			st, hd, body := h.get(tt.path)
			if st != tt.want || !strings.HasPrefix(hd.Get("Content-Type"), tt.wantType) {
				t.Fatalf("= %d %s, want %d %s\n%s", st, hd.Get("Content-Type"), tt.want, tt.wantType, body)
			}
			for _, w := range tt.wantBody {
				if !strings.Contains(body, w) {
					t.Errorf("no %q in\n%s", w, body)
				}
			}
		})
	}
}
