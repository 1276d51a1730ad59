package api_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocsaf/csaf/v3/csaf"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/accord-dev/accord/internal/advisory"
	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// advEnv is a server with the advisory endpoints on, a vendor principal
// with a vendor token, and a webhook receiver that verifies every notice
// with the Standard Webhooks library.
type advEnv struct {
	*env
	adv     *api.Advisories
	log     *changeLogMem
	priv    ed25519.PrivateKey
	pub     ed25519.PublicKey
	mu      sync.Mutex
	secrets map[string]string // deployment -> webhook secret
	got     map[string][]advisory.NoticePayload
	hook    *httptest.Server
}

func newAdvEnv(t *testing.T) *advEnv {
	t.Helper()
	a := &advEnv{log: &changeLogMem{}, secrets: map[string]string{}, got: map[string][]advisory.NoticePayload{}}
	a.env = newEnv(t, func(c *api.Config) {
		a.adv = &api.Advisories{Store: c.Store.(store.Advisories), Log: a.log}
		c.Advisories = a.adv
	})
	ctx := context.Background()
	if err := a.st.PutPrincipal(ctx, store.Principal{ID: "acme-networks", Kind: model.KindCompany, Role: "vendor", Jurisdiction: "DE"}); err != nil {
		t.Fatal(err)
	}
	a.tokens[store.RoleVendor] = a.token("acme-networks", store.RoleVendor, time.Now(), 0)
	a.pub, a.priv, _ = ed25519.GenerateKey(nil)
	a.hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dep := strings.TrimPrefix(r.URL.Path, "/")
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		defer a.mu.Unlock()
		wh, err := standardwebhooks.NewWebhook(a.secrets[dep])
		if err != nil || wh.Verify(body, r.Header) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p advisory.NoticePayload
		json.Unmarshal(body, &p)
		a.got[dep] = append(a.got[dep], p)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(a.hook.Close)
	return a
}

func (a *advEnv) deploy(id, token string) {
	a.t.Helper()
	r := a.do(call{method: "POST", path: "/v1/deployments", token: token, body: `{"id":"` + id + `","webhook_url":"` + a.hook.URL + "/" + id + `","contact_role":"secops"}`})
	if r.status != http.StatusCreated {
		a.t.Fatalf("create deployment %s: %d %s", id, r.status, r.body)
	}
	var d api.DeploymentDocument
	json.Unmarshal(r.body, &d)
	if !strings.HasPrefix(d.WebhookSecret, "whsec_") {
		a.t.Fatalf("no secret shown: %s", r.body)
	}
	a.mu.Lock()
	a.secrets[id] = d.WebhookSecret
	a.mu.Unlock()
}

func (a *advEnv) sbom(dep, file, token string) answer {
	a.t.Helper()
	b, err := os.ReadFile("../advisory/testdata/sbom/" + file)
	if err != nil {
		a.t.Fatal(err)
	}
	return a.do(call{method: "POST", path: "/v1/sboms?deployment=" + dep, token: token, body: string(b)})
}

func (a *advEnv) signed(file string, priv ed25519.PrivateKey) string {
	a.t.Helper()
	b, err := os.ReadFile("../advisory/testdata/" + file)
	if err != nil {
		a.t.Fatal(err)
	}
	return a.signedBytes(b, priv)
}

func (a *advEnv) signedBytes(b []byte, priv ed25519.PrivateKey) string {
	env, err := advisory.Sign(context.Background(), b, priv)
	if err != nil {
		a.t.Fatal(err)
	}
	raw, _ := json.Marshal(env)
	return string(raw)
}

func (a *advEnv) registerKey() {
	a.t.Helper()
	r := a.do(call{method: "PUT", path: "/v1/vendors/acme-networks/key", token: a.tokens[store.RoleOperator],
		body: `{"public_key":"` + base64.StdEncoding.EncodeToString(a.pub) + `"}`})
	if r.status != http.StatusOK {
		a.t.Fatalf("register key: %d %s", r.status, r.body)
	}
}

// TestAdvisoryEndToEnd is the "done when": a vendor publishes a
// CSAF advisory for a product two deployments run; the affected one gets
// a verified Standard Webhooks notice, the other nothing; the log holds
// the advisory and notice entries with the time to notice; a forced
// upgrade is flagged.
func TestAdvisoryEndToEnd(t *testing.T) {
	a := newAdvEnv(t)
	req := a.tokens[store.RoleRequester]
	a.deploy("plant-a", req)
	a.deploy("plant-b", req)
	if r := a.sbom("plant-a", "router-plant-a.cdx.json", req); r.status != http.StatusCreated || !strings.Contains(string(r.body), `"components": 4`) {
		t.Fatalf("sbom a: %d %s", r.status, r.body)
	}
	if r := a.sbom("plant-b", "router-plant-b.spdx.json", req); r.status != http.StatusCreated {
		t.Fatalf("sbom b: %d %s", r.status, r.body)
	}
	a.registerKey()
	r := a.do(call{method: "POST", path: "/v1/advisories", token: a.tokens[store.RoleVendor], body: a.signed("csaf/acme-2026-001.json", a.priv)})
	if r.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	var doc api.AdvisoryDocument
	json.Unmarshal(r.body, &doc)
	if doc.Affected != 1 || doc.Severity != "critical" || len(doc.Flags) != 0 || doc.Key != "acme-networks/ACME-2026-001" {
		t.Fatalf("published: %+v", doc)
	}
	d := &advisory.Deliverer{Store: a.adv.Store, Log: a.log, Client: a.hook.Client()}
	if n, err := d.RunOnce(context.Background()); n != 1 || err != nil {
		t.Fatalf("deliver: %d %v", n, err)
	}
	a.mu.Lock()
	gotA, gotB := a.got["plant-a"], a.got["plant-b"]
	a.mu.Unlock()
	if len(gotA) != 1 || gotA[0].Data.Advisory != "ACME-2026-001" || len(gotA[0].Data.Components) != 1 || gotA[0].Data.Components[0].PURL != "pkg:generic/acme/router@2.3.1" {
		t.Errorf("plant-a got %+v", gotA)
	}
	if len(gotB) != 0 {
		t.Errorf("plant-b (runs the fixed 2.3.2) got %+v", gotB)
	}
	var kinds []string
	var advEntry, noticeEntry ledger.Entry
	for _, e := range a.log.all() {
		kinds = append(kinds, e.Kind+"/"+e.Action+e.Outcome)
		switch e.Kind {
		case ledger.KindAdvisory:
			advEntry = e
		case ledger.KindNotice:
			noticeEntry = e
		}
	}
	if strings.Join(kinds, ",") != "advisory/vendor-key,advisory/publish,notice/delivered" {
		t.Fatalf("log: %v", kinds)
	}
	if advEntry.Subject != "acme-networks" || advEntry.Records != 1 || advEntry.Severity != "critical" || advEntry.Digest != advisory.IDHash("acme-networks", "ACME-2026-001") {
		t.Errorf("advisory entry: %+v", advEntry)
	}
	if noticeEntry.Refers == nil || *noticeEntry.Refers != 1 || noticeEntry.SincePublished == nil || noticeEntry.SinceDiscovered == nil || *noticeEntry.SinceDiscovered < *noticeEntry.SincePublished {
		t.Errorf("notice entry: %+v", noticeEntry)
	}
	raw, _ := json.Marshal(noticeEntry)
	for _, leak := range []string{"plant-a", "secops", "hook", "router"} {
		if strings.Contains(string(raw), leak) {
			t.Errorf("notice entry shows %q: %s", leak, raw)
		}
	}

	// The forced-upgrade advisory is flagged, and the flag reaches the notice.
	r = a.do(call{method: "POST", path: "/v1/advisories", token: a.tokens[store.RoleVendor], body: a.signed("csaf/acme-2026-002-forced-upgrade.json", a.priv)})
	json.Unmarshal(r.body, &doc)
	if r.status != http.StatusCreated || len(doc.Flags) != 1 || doc.Flags[0] != advisory.RuleForcedUpgrade || !strings.Contains(doc.Lint[0].Citation, "18 September 2020") {
		t.Fatalf("forced upgrade: %d %s", r.status, r.body)
	}
	d.RunOnce(context.Background())
	a.mu.Lock()
	if n := len(a.got["plant-a"]); n != 2 || len(a.got["plant-a"][1].Data.Lint) != 1 {
		t.Errorf("plant-a notices: %+v", a.got["plant-a"])
	}
	a.mu.Unlock()

	// A new SBOM is matched against every published advisory: plant-b
	// moves back to 2.3.1 and is queued both (then delivered once each).
	sb := strings.ReplaceAll(mustRead(t, "../advisory/testdata/sbom/router-plant-b.spdx.json"), "2.3.2", "2.3.1")
	r = a.do(call{method: "POST", path: "/v1/sboms?deployment=plant-b", token: req, body: sb})
	if r.status != http.StatusCreated || !strings.Contains(string(r.body), `"notices": 2`) {
		t.Fatalf("reimport: %d %s", r.status, r.body)
	}
	if n, _ := d.RunOnce(context.Background()); n != 2 {
		t.Errorf("after reimport %d notices delivered", n)
	}
	r = a.do(call{method: "POST", path: "/v1/sboms?deployment=plant-b", token: req, body: sb})
	if !strings.Contains(string(r.body), `"notices": 0`) && !strings.Contains(string(r.body), `"notices": 2`) {
		t.Fatalf("second reimport: %s", r.body)
	}
	if n, _ := d.RunOnce(context.Background()); n != 0 {
		t.Errorf("a reimport notified again: %d", n)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAdvisoryAttacks(t *testing.T) {
	a := newAdvEnv(t)
	req := a.tokens[store.RoleRequester]
	vendor := a.tokens[store.RoleVendor]
	a.deploy("plant-a", req)
	_, otherPriv, _ := ed25519.GenerateKey(nil)

	// Before a key is registered, nothing is accepted.
	if r := a.do(call{method: "POST", path: "/v1/advisories", token: vendor, body: a.signed("osv/GO-2026-0001.json", a.priv)}); r.status != http.StatusForbidden {
		t.Errorf("no key: %d", r.status)
	}
	a.registerKey()
	future := strings.Replace(mustRead(t, "../advisory/testdata/osv/GO-2026-0001.json"), `"published": "2026-02-21T00:00:00Z"`, `"published": "2099-01-01T00:00:00Z"`, 1)
	unknownEco := strings.Replace(mustRead(t, "../advisory/testdata/osv/GO-2026-0001.json"), `"package": {"ecosystem": "Go", "name": "golang.org/x/net", "purl": "pkg:golang/golang.org/x/net"}`, `"package": {"ecosystem": "Acme OS", "name": "x"}`, 1)
	unorderedEco := strings.Replace(mustRead(t, "../advisory/testdata/osv/GO-2026-0001.json"), `"package": {"ecosystem": "Go", "name": "golang.org/x/net", "purl": "pkg:golang/golang.org/x/net"}`, `"package": {"ecosystem": "GitHub Actions", "name": "acme/setup", "purl": "pkg:github/acme/setup"}`, 1)
	unorderedEco = strings.Replace(unorderedEco, `"type": "SEMVER"`, `"type": "ECOSYSTEM"`, 1)
	notPEP440 := strings.Replace(mustRead(t, "../advisory/testdata/osv/GO-2026-0001.json"), `"package": {"ecosystem": "Go", "name": "golang.org/x/net", "purl": "pkg:golang/golang.org/x/net"}`, `"package": {"ecosystem": "PyPI", "name": "django"}`, 1)
	notPEP440 = strings.Replace(strings.Replace(notPEP440, `"type": "SEMVER"`, `"type": "ECOSYSTEM"`, 1), `"fixed": "0.38.0"`, `"fixed": "next-release"`, 1)
	for _, tc := range []struct {
		name   string
		token  string
		body   string
		status int
		field  string
	}{
		{"ECOSYSTEM range no library orders", vendor, a.signedBytes([]byte(unorderedEco), a.priv), http.StatusBadRequest, "/affected/0/ranges/0/type"},
		{"ECOSYSTEM range with a version its ecosystem cannot read", vendor, a.signedBytes([]byte(notPEP440), a.priv), http.StatusBadRequest, "/affected/0/ranges/0/events/1"},
		{"requester may not publish", req, a.signed("osv/GO-2026-0001.json", a.priv), http.StatusForbidden, ""},
		{"signed by another key", vendor, a.signed("osv/GO-2026-0001.json", otherPriv), http.StatusBadRequest, "/signatures"},
		{"date in the future", vendor, a.signedBytes([]byte(future), a.priv), http.StatusBadRequest, "/published"},
		{"unknown ecosystem", vendor, a.signedBytes([]byte(unknownEco), a.priv), http.StatusBadRequest, "/affected/0/package"},
		{"schema", vendor, a.signedBytes([]byte(`{"id":"X-1"}`), a.priv), http.StatusBadRequest, ""},
		{"not an envelope", vendor, `{"hello":1}`, http.StatusBadRequest, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.do(call{method: "POST", path: "/v1/advisories", token: tc.token, body: tc.body, invalid: true})
			if r.status != tc.status || tc.field != "" && !strings.Contains(r.problem.Field+r.problem.Detail, tc.field) {
				t.Errorf("got %d %+v, want %d naming %q", r.status, r.problem, tc.status, tc.field)
			}
		})
	}
	if recs, _ := a.adv.Store.ListAdvisories(context.Background()); len(recs) != 0 {
		t.Errorf("refused advisories were stored: %+v", recs)
	}
	// One log entry so far: the key.
	if n := len(a.log.all()); n != 1 {
		t.Errorf("%d log entries after refusals, want 1 (the key)", n)
	}

	// Publishing twice is a conflict and logs nothing more.
	body := a.signed("osv/GO-2026-0001.json", a.priv)
	if r := a.do(call{method: "POST", path: "/v1/advisories", token: vendor, body: body}); r.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	if r := a.do(call{method: "POST", path: "/v1/advisories", token: vendor, body: body}); r.status != http.StatusConflict {
		t.Errorf("twice: %d", r.status)
	}
	if n := len(a.log.all()); n != 2 {
		t.Errorf("%d log entries, want 2", n)
	}

	// The log is down: 503 and nothing stored.
	a.log.mu.Lock()
	a.log.err = errors.New("log down")
	a.log.mu.Unlock()
	if r := a.do(call{method: "POST", path: "/v1/advisories", token: vendor, body: a.signed("osv/GHSA-forced-major.json", a.priv)}); r.status != http.StatusServiceUnavailable {
		t.Errorf("log down: %d", r.status)
	}
	if recs, _ := a.adv.Store.ListAdvisories(context.Background()); len(recs) != 1 {
		t.Errorf("stored without a log entry: %d advisories", len(recs))
	}

	// SBOMs: another owner's deployment is not found; too large is 413.
	if r := a.sbom("plant-a", "router-plant-a.cdx.json", a.tokens["globex/requester"]); r.status != http.StatusNotFound {
		t.Errorf("other owner's deployment: %d", r.status)
	}
	big := `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[],"pad":"` + strings.Repeat("x", advisory.MaxSBOM) + `"}`
	if r := a.do(call{method: "POST", path: "/v1/sboms?deployment=plant-a", token: req, body: big, invalid: true}); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("large SBOM: %d", r.status)
	}
	if r := a.do(call{method: "POST", path: "/v1/sboms?deployment=plant-a", token: req, body: `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"x","purl":"npm/x"}]}`}); r.status != http.StatusBadRequest || r.problem.Field != "/components/0" {
		t.Errorf("bad purl: %d %+v", r.status, r.problem)
	}
	// Webhooks: plain http off loopback is refused; so is a person as contact.
	for _, body := range []string{
		`{"id":"x1","webhook_url":"http://hooks.example/x","contact_role":"secops"}`,
		`{"id":"x2","webhook_url":"https://hooks.example/x","contact_role":"Jane Doe <jane@example.org>"}`,
	} {
		if r := a.do(call{method: "POST", path: "/v1/deployments", token: req, body: body}); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d", body, r.status)
		}
	}
	// The vendor key is for vendor principals only.
	if r := a.do(call{method: "PUT", path: "/v1/vendors/globex/key", token: a.tokens[store.RoleOperator], body: `{"public_key":"` + base64.StdEncoding.EncodeToString(a.pub) + `"}`}); r.status != http.StatusConflict {
		t.Errorf("key for a non-vendor: %d", r.status)
	}
	// Dead letters are visible to operators; requesters may not list them.
	if r := a.do(call{method: "GET", path: "/v1/advisories/notices?state=dead", token: a.tokens[store.RoleOperator]}); r.status != http.StatusOK {
		t.Errorf("dead letters: %d", r.status)
	}
	if r := a.do(call{method: "GET", path: "/v1/advisories/notices", token: req}); r.status != http.StatusForbidden {
		t.Errorf("requester lists notices: %d", r.status)
	}
}

// TestAdvisoryPublication: the OSV export and the CSAF provider serve what
// was published, without a token; gocsaf's own schema accepts the provider
// metadata.
func TestAdvisoryPublication(t *testing.T) {
	a := newAdvEnv(t)
	get := func(path string) (int, string) {
		resp, err := http.Get(a.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, _ := get("/.well-known/csaf/provider-metadata.json"); st != http.StatusNotFound {
		t.Errorf("a provider without configuration: %d", st)
	}
	a.adv.Provider = &advisory.Provider{BaseURL: "https://accord.example", Publisher: advisory.Publisher{Name: "Accord", Namespace: "https://accord.example"}}
	a.registerKey()
	for _, f := range []string{"csaf/acme-2026-001.json", "osv/GO-2026-0001.json"} {
		if r := a.do(call{method: "POST", path: "/v1/advisories", token: a.tokens[store.RoleVendor], body: a.signed(f, a.priv)}); r.status != http.StatusCreated {
			t.Fatalf("publish %s: %d %s", f, r.status, r.body)
		}
	}
	if st, body := get("/osv/modified_id.csv"); st != 200 || body != "2026-02-21T00:00:00Z,GO-2026-0001\n2026-02-20T09:00:00Z,x_ACME-2026-001\n" {
		t.Errorf("modified_id.csv: %d %q", st, body)
	}
	if st, body := get("/osv/GO-2026-0001.json"); st != 200 || body != mustRead(t, "../advisory/testdata/osv/GO-2026-0001.json") {
		t.Errorf("OSV file: %d", st)
	}
	st, body := get("/.well-known/csaf/provider-metadata.json")
	var meta any
	json.Unmarshal([]byte(body), &meta)
	if errs, err := csaf.ValidateProviderMetadata(meta); st != 200 || err != nil || len(errs) > 0 {
		t.Errorf("provider metadata: %d %v %v", st, err, errs)
	}
	if st, body := get("/.well-known/csaf/white/index.txt"); st != 200 || body != "2026/acme-2026-001.json\n" {
		t.Errorf("index.txt: %d %q", st, body)
	}
	if st, body := get("/.well-known/csaf/white/2026/acme-2026-001.json"); st != 200 || body != mustRead(t, "../advisory/testdata/csaf/acme-2026-001.json") {
		t.Errorf("CSAF file: %d", st)
	}
	for _, p := range []string{"/osv/..%2Fsecret", "/osv/..%2F..%2Fetc%2Fpasswd", "/.well-known/csaf/white/2026/nope.json"} {
		if st, _ := get(p); st == 200 {
			t.Errorf("%s: 200", p)
		}
	}
}

// TestAdvisoryIdempotentRetry: every advisory write honours
// Idempotency-Key. A retried publication answers the first answer again
// and takes no effect: one advisory entry on the log, one set of notices
// in the outbox; the same key with another body is 422.
func TestAdvisoryIdempotentRetry(t *testing.T) {
	a := newAdvEnv(t)
	req := a.tokens[store.RoleRequester]
	vendor := a.tokens[store.RoleVendor]
	key := func(k string) map[string]string { return map[string]string{"Idempotency-Key": `"` + k + `"`} }
	ctx := context.Background()

	dep := `{"id":"plant-a","webhook_url":"` + a.hook.URL + `/plant-a","contact_role":"secops"}`
	first := a.do(call{method: "POST", path: "/v1/deployments", token: req, body: dep, header: key("dep-1")})
	again := a.do(call{method: "POST", path: "/v1/deployments", token: req, body: dep, header: key("dep-1")})
	if first.status != http.StatusCreated || again.status != http.StatusCreated || string(again.body) != string(first.body) ||
		again.header.Get("Idempotent-Replayed") != "true" || again.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("deployment retry: %d %s / %d %v %s", first.status, first.body, again.status, again.header, again.body)
	}
	var d api.DeploymentDocument
	json.Unmarshal(first.body, &d)
	a.secrets["plant-a"] = d.WebhookSecret
	if ds, _ := a.adv.Store.ListDeployments(ctx, ""); len(ds) != 1 {
		t.Errorf("%d deployments after a retry", len(ds))
	}

	sbom := mustRead(t, "../advisory/testdata/sbom/router-plant-a.cdx.json")
	for i := range 2 {
		r := a.do(call{method: "POST", path: "/v1/sboms?deployment=plant-a", token: req, body: sbom, header: key("sbom-1")})
		if r.status != http.StatusCreated || (i == 1) != (r.header.Get("Idempotent-Replayed") == "true") {
			t.Fatalf("sbom try %d: %d %v %s", i, r.status, r.header, r.body)
		}
	}

	keyBody := `{"public_key":"` + base64.StdEncoding.EncodeToString(a.pub) + `"}`
	for i := range 2 {
		h := key("vendor-key-1")
		h["If-Match"] = "*"
		r := a.do(call{method: "PUT", path: "/v1/vendors/acme-networks/key", token: a.tokens[store.RoleOperator], body: keyBody, header: h})
		if r.status != http.StatusOK || (i == 1) != (r.header.Get("Idempotent-Replayed") == "true") {
			t.Fatalf("vendor key try %d: %d %s", i, r.status, r.body)
		}
	}

	body := a.signed("csaf/acme-2026-001.json", a.priv)
	var answers []answer
	for range 3 {
		answers = append(answers, a.do(call{method: "POST", path: "/v1/advisories", token: vendor, body: body, header: key("publish-1")}))
	}
	for i, r := range answers {
		if r.status != http.StatusCreated || string(r.body) != string(answers[0].body) || (i > 0) != (r.header.Get("Idempotent-Replayed") == "true") {
			t.Errorf("publish try %d: %d %v %s", i, r.status, r.header, r.body)
		}
	}
	// Without the key, the same body is a conflict: published already.
	if r := a.do(call{method: "POST", path: "/v1/advisories", token: vendor, body: body}); r.status != http.StatusConflict {
		t.Errorf("publish without key: %d", r.status)
	}
	// The same key with another advisory is refused, and publishes nothing.
	other := a.signed("csaf/acme-2026-002-forced-upgrade.json", a.priv)
	if r := a.do(call{method: "POST", path: "/v1/advisories", token: vendor, body: other, header: key("publish-1")}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("key reused for another advisory: %d %s", r.status, r.body)
	}

	var kinds []string
	for _, e := range a.log.all() {
		kinds = append(kinds, e.Kind+"/"+e.Action)
	}
	if strings.Join(kinds, ",") != "advisory/vendor-key,advisory/publish" {
		t.Errorf("log after retries: %v, want one key and one advisory entry", kinds)
	}
	if recs, _ := a.adv.Store.ListAdvisories(ctx); len(recs) != 1 {
		t.Errorf("%d advisories stored", len(recs))
	}
	ns, _ := a.adv.Store.ListNotices(ctx, "")
	if len(ns) != 1 {
		t.Fatalf("%d notices queued after retries, want 1: %+v", len(ns), ns)
	}
	dl := &advisory.Deliverer{Store: a.adv.Store, Log: a.log, Client: a.hook.Client()}
	if n, err := dl.RunOnce(ctx); n != 1 || err != nil {
		t.Fatalf("deliver: %d %v", n, err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.got["plant-a"]) != 1 {
		t.Errorf("plant-a got %d notices, want 1", len(a.got["plant-a"]))
	}
}
