package console

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/accord-dev/accord/internal/approval"
	"github.com/accord-dev/accord/internal/store"
)

// fakeAPI answers the console's API calls the way the API's contract says
// (internal/api/openapi.yaml and the decision listing contract), for tests
// of the console's own logic. The browser tests in cmd/accord run against
// the real API.
type fakeAPI struct {
	mu sync.Mutex
	// tokens maps a secret to the caller it stands for; a revoked token is
	// removed.
	tokens map[string]whoami
	// queries records the query of every GET /v1/decisions.
	queries []url.Values
	// lodged counts POST /v1/authorizations.
	lodged    int
	summaries []summary
	records   map[string]json.RawMessage
	// approvals are the approval requests, answers the answers sent.
	approvals []*approval.Request
	answers   []string
	// datasets is the catalog; lastDecision the last POST /v1/decisions
	// body; advisories the published ones; keys the vendor keys.
	datasets     []store.Dataset
	lastDecision string
	advisories   []advisoryDoc
	keys         map[string]string
}

func newFakeAPI() *fakeAPI {
	f := &fakeAPI{tokens: map[string]whoami{}, records: map[string]json.RawMessage{}}
	f.add("tok-requester", "acme", "requester", "FR")
	f.add("tok-auditor", "demo-auditor", "auditor", "FR")
	f.add("tok-authority", "cn-moj", "authority", "CN")
	f.add("tok-approver", "hold-co", "approver", "FR")
	f.add("tok-operator", "demo-operator", "operator", "FR")
	f.add("tok-vendor", "globex", "vendor", "US")
	f.keys = map[string]string{}
	lapses := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	expires := lapses.Add(time.Hour)
	f.approvals = []*approval.Request{
		{ID: "apr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Status: "pending", Requester: "acme", Holder: "hold-co", Dataset: "firmware-fr", Action: "access", Purpose: "maintenance",
			Categories: []string{"technical"}, Measures: []string{"customer-approval"}, Rules: []string{"gdsi-7-vendor-maintenance"}, Decision: "dec-2", DecisionIndex: 4,
			RequestedSeconds: 8 * 3600, Created: lapses.Add(-12 * time.Hour), Lapses: lapses, LogIndex: 6, Version: 1},
		{ID: "apr-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", Status: "approved", Requester: "acme", Holder: "hold-co", Dataset: "firmware-fr", Action: "access", Purpose: "maintenance",
			Categories: []string{"technical"}, Measures: []string{"customer-approval"}, Rules: []string{"gdsi-7-vendor-maintenance"}, Decision: "dec-4", DecisionIndex: 7,
			RequestedSeconds: 8 * 3600, Created: lapses.Add(-12 * time.Hour), Lapses: lapses, LogIndex: 8, Version: 2,
			Answer: &approval.Answer{Outcome: "approved", Approver: "hold-co", Time: lapses.Add(-11 * time.Hour), Expires: &expires, GrantedSeconds: 3600, LogIndex: 9, Digest: "ab12"}},
	}
	f.records["dec-4"] = json.RawMessage(`{"decision":{"id":"dec-4","outcome":"pending","binding":true,"log_index":7,"time":"2026-11-22T11:00:00Z",
"reasons":[{"rule":"gdsi-7-vendor-maintenance","pack":"gdsi","effect":"require","message":"a vendor's maintenance access needs the customer's approval"},
{"rule":"accord.approval-requested","pack":"accord","effect":"require","message":"approval request apr-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb asks the data holder for customer-approval (GET /v1/approvals/apr-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb); ask again once it is approved"}],
"requires":[{"measure":"customer-approval","rule":"gdsi-7-vendor-maintenance","pack":"gdsi"}]},
"request":{"action":"access","requester":{"id":"acme","kind":"company","jurisdiction":"FR"},"data":{"dataset":"firmware-fr","location":"FR"},"purpose":"maintenance","basis":{"kind":"contract"},"time":"0001-01-01T00:00:00Z"}}`)
	f.datasets = []store.Dataset{
		{ID: "crm-eu", Location: "FR", Origin: []string{"FR"}, Categories: []string{"personal.contact"}, Records: 1000, Subjects: map[string]int64{"FR": 900, "DE": 100}, Updated: t0Datasets},
		{ID: "firmware-fr", Location: "FR", Categories: []string{"technical"}, Records: 40, Classification: "general", Holder: "hold-co", Updated: t0Datasets},
	}
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	idx := func(i uint64) *uint64 { return &i }
	f.summaries = []summary{
		{ID: "dec-1", Time: t0, LogIndex: idx(3), Outcome: "allow", Action: "transfer", Purpose: "commercial", RequestingState: "FR", Location: "FR", SubjectStates: []string{"FR"}, Packs: []string{"gdsi"}, Rules: []string{}, Binding: true},
		{ID: "dec-2", Time: t0.Add(time.Hour), LogIndex: idx(4), Outcome: "pending", Action: "access", Purpose: "law-enforcement", RequestingState: "DE", Location: "FR", SubjectStates: []string{"FR", "BE"}, Packs: []string{"gdsi"}, Rules: []string{"gdsi-5-location-authorization"}, Binding: true},
		{ID: "dec-3", Time: t0.Add(2 * time.Hour), LogIndex: idx(5), Outcome: "deny", Action: "access", Purpose: "national-security", RequestingState: "US", Location: "CN", SubjectStates: []string{"CN"}, Packs: []string{"gdsi"}, Rules: []string{"gdsi-3-bulk"}, Binding: true},
	}
	f.summaries[1].PendingOn.States = []string{"FR"}
	f.records["dec-2"] = json.RawMessage(`{"decision":{"id":"dec-2","outcome":"pending","binding":true,"log_index":4,"time":"2026-11-22T11:00:00Z",
"reasons":[{"rule":"gdsi-5-location-authorization","pack":"gdsi","effect":"require","message":"Access to data located in FR needs <b>FR</b>'s authorization & a basis","citation":"GDSI 5"}],
"requires":[{"authorization_from":"FR","rule":"gdsi-5-location-authorization","pack":"gdsi"},{"measure":"scc","rule":"eu-gdpr-46","pack":"eu-gdpr"}]},
"request":{"action":"access","requester":{"id":"acme","kind":"company","jurisdiction":"FR"},"data":{"location":"FR","origin":["FR"],"categories":["personal.contact"]},"purpose":"law-enforcement","basis":{"kind":"none","authorizations":[]},"time":"0001-01-01T00:00:00Z"}}`)
	return f
}

func (f *fakeAPI) add(secret, id, role, state string) {
	var w whoami
	w.Principal.ID, w.Principal.Kind, w.Principal.Jurisdiction, w.Role = id, "company", state, role
	f.tokens[secret] = w
}

func (f *fakeAPI) revoke(secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.tokens, secret)
}

func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "detail": detail})
}

func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP answers as the API would.
func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/log/checkpoint" {
		_, _ = io.WriteString(w, "accord.example/test\n6\nq8Zz3m8nB0o6vQn1mXbJ5s7x1sM0q5m6bq3yq0m6b1E=\n\n\u2014 accord.example/test AAAAsig=\n\u2014 witness.example/w1 BBBBsig=\n")
		return
	}
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	who, known := f.tokens[secret]
	if !ok || !known {
		problem(w, http.StatusUnauthorized, "the token is unknown, expired or revoked")
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/whoami":
		answer(w, http.StatusOK, who)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/decisions":
		q := r.URL.Query()
		f.queries = append(f.queries, q)
		for k := range q {
			switch k {
			case "outcome", "pack", "rule", "requesting_state", "location", "subject_state", "action", "purpose", "since", "until", "pending_on", "page_size", "page_token", "format":
			default:
				problem(w, http.StatusBadRequest, "unknown parameter "+k)
				return
			}
		}
		var out []summary
		for _, s := range f.summaries {
			if o := q.Get("outcome"); o != "" && s.Outcome != o {
				continue
			}
			if rs := q.Get("requesting_state"); rs != "" && s.RequestingState != rs {
				continue
			}
			out = append(out, s)
		}
		if q.Get("format") == "csv" {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			_, _ = io.WriteString(w, "id,time,outcome,requesting_state,location\n")
			for _, s := range out {
				_, _ = io.WriteString(w, s.ID+","+s.Time.Format(time.RFC3339)+","+s.Outcome+","+s.RequestingState+","+s.Location+"\n")
			}
			return
		}
		answer(w, http.StatusOK, map[string]any{"decisions": out, "next_page_token": ""})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/decisions/"):
		rec, ok := f.records[strings.TrimPrefix(r.URL.Path, "/v1/decisions/")]
		if !ok {
			problem(w, http.StatusNotFound, "decision not found")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(rec)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/authorizations":
		if who.Role != "authority" {
			problem(w, http.StatusForbidden, "role "+who.Role+" may not POST /v1/authorizations")
			return
		}
		f.lodged++
		answer(w, http.StatusCreated, lodged{ID: "MLA-1-A", Type: "authorization", Issuer: who.Principal.ID, Jurisdiction: who.Principal.Jurisdiction, KeyID: "SHA256:k", Digest: "ab12", LogIndex: 9})
	case r.Method == http.MethodPost && r.URL.Path == "/v1/decisions":
		var req map[string]any
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			problem(w, http.StatusBadRequest, "body: "+err.Error())
			return
		}
		f.lastDecision = string(mustJSON(req))
		f.records["dec-9"] = json.RawMessage(`{"decision":{"id":"dec-9","outcome":"allow","binding":true,"log_index":10,"time":"2026-11-22T12:00:00Z","reasons":[]}}`)
		answer(w, http.StatusCreated, map[string]any{"decision": map[string]any{"id": "dec-9", "outcome": "allow"}, "request": req})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/registry/"):
		if r.URL.Path == "/v1/registry/changes" {
			answer(w, http.StatusOK, map[string]any{"changes": []map[string]any{{"log_index": 1, "kind": "authorities", "id": "cn-moj", "action": "put", "digest": "0123456789abcdef0123", "time": "2026-11-20T09:00:00Z"}}})
			return
		}
		answer(w, http.StatusOK, map[string]any{"items": []map[string]any{{"code": "FR", "names": map[string]string{"en": "France", "fr": "France", "ar": "فرنسا"}, "source": "https://www.iso.org", "checked": "2026-01-01"}}, "overrides": []any{}})
	case r.Method == http.MethodGet && r.URL.Path == "/v1/mla":
		cases := []map[string]any{
			{"id": "MLA-1", "version": 1, "state": "received", "requesting_state": "FR", "requested_state": "CN", "requesting_authority": "fr-bepi", "grantee": "fr-bepi", "provider": "mailco-cn",
				"requested": map[string]any{}, "terms": map[string]any{}, "opened_at": "2026-09-01T00:00:00Z", "answer_by": "2026-10-01T00:00:00Z",
				"history": []map[string]any{{"from": "", "to": "opened", "by": "fr-bepi", "by_state": "FR", "at": "2026-09-01T00:00:00Z", "event": map[string]any{"kind": "mla.opened"}},
					{"from": "opened", "to": "received", "by": "cn-moj", "by_state": "CN", "at": "2026-09-02T00:00:00Z", "event": map[string]any{"kind": "mla.received"}}}},
			{"id": "MLA-2", "version": 1, "state": "opened", "requesting_state": "DE", "requested_state": "FR", "requesting_authority": "bka", "grantee": "bka", "provider": "acme",
				"requested": map[string]any{}, "terms": map[string]any{}, "opened_at": "2026-11-20T00:00:00Z", "answer_by": "2027-01-20T00:00:00Z", "history": []any{}},
		}
		if r.URL.Query().Get("overdue") == "true" {
			answer(w, http.StatusOK, map[string]any{"cases": cases[:1], "overdue": []map[string]any{{"case": "MLA-1", "state": "received", "deadline": "answer", "due": "2026-10-01T00:00:00Z", "late": int64(52 * 24 * time.Hour), "waiting_on": "CN"}}})
			return
		}
		answer(w, http.StatusOK, map[string]any{"cases": cases})
	case r.Method == http.MethodGet && r.URL.Path == "/v1/mla/MLA-1":
		answer(w, http.StatusOK, map[string]any{"id": "MLA-1", "version": 2, "state": "received", "requesting_state": "FR", "requested_state": "CN", "requesting_authority": "fr-bepi", "grantee": "fr-bepi", "provider": "mailco-cn",
			"requested": map[string]any{}, "terms": map[string]any{}, "opened_at": "2026-09-01T00:00:00Z", "answer_by": "2026-10-01T00:00:00Z",
			"history": []map[string]any{{"from": "", "to": "opened", "by": "fr-bepi", "by_state": "FR", "at": "2026-09-01T00:00:00Z", "event": map[string]any{"kind": "mla.opened"}, "log_index": 3},
				{"from": "opened", "to": "received", "by": "cn-moj", "by_state": "CN", "at": "2026-09-02T00:00:00Z", "event": map[string]any{"kind": "mla.received"}, "log_index": 4}}})
	case r.Method == http.MethodGet && r.URL.Path == "/v1/reports/transparency":
		if who.Role != "auditor" {
			problem(w, http.StatusForbidden, "role "+who.Role+" may not GET /v1/reports/transparency")
			return
		}
		if r.URL.Query().Get("format") == "csv" {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			_, _ = io.WriteString(w, "state,channel,requests\nFR,mla,2\n")
			return
		}
		answer(w, http.StatusOK, map[string]any{"period": r.URL.Query().Get("period"), "rows": []map[string]any{
			{"state": "FR", "channel": "mla", "requests": 2, "disclosed": 1, "refused": 1, "indices": []int{1, 2}},
			{"state": "US", "channel": "direct", "requests": 1, "pending": 1, "indices": []int{3}}},
			"totals": map[string]any{"requests": 3, "disclosed": 1, "refused": 1, "pending": 1}, "entries_read": 7,
			"checkpoint": map[string]any{"origin": "accord.example/test", "size": 7, "root_hash": "q8Zz", "signed_note": "..."}})
	default:
		if !f.serveMore(w, r, who) {
			problem(w, http.StatusNotFound, "no endpoint "+r.URL.Path)
		}
	}
}

// t0Datasets is when the fake catalog's datasets were last changed.
var t0Datasets = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// datasetETag is the ETag of a dataset changed at t.
func datasetETag(t time.Time) string { return `"` + strconv.FormatInt(t.UnixNano(), 36) + `"` }

// knownStates are the jurisdictions the fake registry knows.
var knownStates = map[string]bool{"FR": true, "DE": true, "US": true, "CN": true, "BE": true}

// serveMore answers the approvals, catalog and advisory endpoints as the
// API's contract says; false: no such endpoint.
func (f *fakeAPI) serveMore(w http.ResponseWriter, r *http.Request, who whoami) bool {
	role, me := who.Role, who.Principal.ID
	path := r.URL.Path
	switch {
	case r.Method == http.MethodGet && path == "/v1/approvals":
		if !slices.Contains([]string{"requester", "approver", "auditor", "admin"}, role) {
			problem(w, http.StatusForbidden, "role "+role+" may not GET /v1/approvals")
			return true
		}
		out := []*approval.Request{}
		for _, a := range f.approvals {
			if (role == "requester" && a.Requester != me) || (role == "approver" && a.Holder != me) {
				continue
			}
			if st := r.URL.Query().Get("status"); st != "" && a.Status != st {
				continue
			}
			if ds := r.URL.Query().Get("dataset"); ds != "" && a.Dataset != ds {
				continue
			}
			out = append(out, a)
		}
		answer(w, http.StatusOK, map[string]any{"approvals": out})
	case strings.HasPrefix(path, "/v1/approvals/"):
		id, verb, _ := strings.Cut(strings.TrimPrefix(path, "/v1/approvals/"), "/")
		var a *approval.Request
		for _, x := range f.approvals {
			if x.ID == id && !(role == "requester" && x.Requester != me) && !(role == "approver" && x.Holder != me) {
				a = x
			}
		}
		if a == nil {
			problem(w, http.StatusNotFound, "approval request "+id+" not found")
			return true
		}
		if r.Method == http.MethodGet && verb == "" {
			w.Header().Set("ETag", a.ETag())
			answer(w, http.StatusOK, a)
			return true
		}
		if r.Method != http.MethodPost || (verb != "approve" && verb != "deny") {
			return false
		}
		if role != "approver" {
			problem(w, http.StatusForbidden, "role "+role+" may not POST "+path+"; allowed: admin, approver")
			return true
		}
		if im := r.Header.Get("If-Match"); im != "" && im != a.ETag() {
			problem(w, http.StatusPreconditionFailed, "If-Match: approval request "+id+" has changed")
			return true
		}
		var in struct {
			DurationSeconds int64 `json:"duration_seconds"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			problem(w, http.StatusBadRequest, "body: "+err.Error())
			return true
		}
		if a.Status != "pending" {
			problem(w, http.StatusConflict, "approval request already answered")
			return true
		}
		f.answers = append(f.answers, fmt.Sprintf("%s %s %d %s", id, verb, in.DurationSeconds, r.Header.Get("If-Match")))
		a.Status = map[string]string{"approve": "approved", "deny": "denied"}[verb]
		a.Version++
		a.Answer = &approval.Answer{Outcome: a.Status, Approver: me, LogIndex: 11}
		answer(w, http.StatusOK, a)
	case r.Method == http.MethodGet && path == "/v1/datasets":
		if !slices.Contains([]string{"requester", "operator", "auditor", "admin"}, role) {
			problem(w, http.StatusForbidden, "role "+role+" may not GET /v1/datasets")
			return true
		}
		answer(w, http.StatusOK, map[string]any{"datasets": f.datasets})
	case strings.HasPrefix(path, "/v1/datasets/") && r.Method == http.MethodGet:
		for _, d := range f.datasets {
			if d.ID == strings.TrimPrefix(path, "/v1/datasets/") {
				w.Header().Set("ETag", datasetETag(d.Updated))
				answer(w, http.StatusOK, d)
				return true
			}
		}
		problem(w, http.StatusNotFound, "dataset not found")
	case (r.Method == http.MethodPost && path == "/v1/datasets") || (r.Method == http.MethodPut && strings.HasPrefix(path, "/v1/datasets/")):
		if role != "operator" {
			problem(w, http.StatusForbidden, "role "+role+" may not change the catalog")
			return true
		}
		var d store.Dataset
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			problem(w, http.StatusBadRequest, "body: "+err.Error())
			return true
		}
		if !knownStates[d.Location] {
			fieldProblem(w, "location", fmt.Sprintf("unknown jurisdiction %q", d.Location))
			return true
		}
		i := slices.IndexFunc(f.datasets, func(x store.Dataset) bool { return x.ID == d.ID })
		if r.Method == http.MethodPost {
			if i >= 0 {
				problem(w, http.StatusConflict, "dataset "+d.ID+" exists")
				return true
			}
			d.Updated = t0Datasets.Add(time.Duration(len(f.datasets)) * time.Minute)
			f.datasets = append(f.datasets, d)
			w.Header().Set("Accord-Log-Index", "12")
			answer(w, http.StatusCreated, d)
			return true
		}
		switch im := r.Header.Get("If-Match"); {
		case i < 0:
			problem(w, http.StatusNotFound, "dataset not found")
		case im == "":
			problem(w, http.StatusPreconditionRequired, "If-Match: a write of dataset "+d.ID+" needs the ETag it was read at")
		case im != datasetETag(f.datasets[i].Updated):
			problem(w, http.StatusPreconditionFailed, "If-Match: dataset "+d.ID+" has changed")
		default:
			d.Updated = f.datasets[i].Updated.Add(time.Second)
			f.datasets[i] = d
			w.Header().Set("Accord-Log-Index", "13")
			answer(w, http.StatusOK, d)
		}
	case r.Method == http.MethodGet && path == "/v1/advisories":
		answer(w, http.StatusOK, map[string]any{"advisories": nonNil(f.advisories)})
	case r.Method == http.MethodPost && path == "/v1/advisories":
		if role != "vendor" {
			problem(w, http.StatusForbidden, "role "+role+" may not POST /v1/advisories")
			return true
		}
		var env struct {
			Payload string `json:"payload"`
		}
		_ = json.NewDecoder(r.Body).Decode(&env)
		if f.keys[me] == "" {
			problem(w, http.StatusForbidden, "vendor "+me+" has no registered advisory key (PUT /v1/vendors/"+me+"/key)")
			return true
		}
		if env.Payload != "eyJpZCI6IkFDTUUtMSJ9" {
			fieldProblem(w, "/signatures", "the signature does not verify with the vendor's key")
			return true
		}
		a := advisoryDoc{Key: me + "/ACME-1", Vendor: me, ID: "ACME-1", Format: "osv", Severity: "critical", Flags: []string{"gdsi8-forced-upgrade"}, Affected: 1, LogIndex: 14, Published: "2026-11-22T12:00:00Z"}
		f.advisories = append(f.advisories, a)
		answer(w, http.StatusCreated, a)
	case r.Method == http.MethodPut && strings.HasPrefix(path, "/v1/vendors/") && strings.HasSuffix(path, "/key"):
		if role != "operator" {
			problem(w, http.StatusForbidden, "role "+role+" may not PUT "+path)
			return true
		}
		vendor := strings.TrimSuffix(strings.TrimPrefix(path, "/v1/vendors/"), "/key")
		var in struct {
			PublicKey string `json:"public_key"`
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		if k, err := base64.StdEncoding.DecodeString(in.PublicKey); err != nil || len(k) != 32 {
			fieldProblem(w, "public_key", "not an Ed25519 public key")
			return true
		}
		f.keys[vendor] = in.PublicKey
		answer(w, http.StatusOK, map[string]any{"vendor": vendor, "log_index": 15})
	default:
		return false
	}
	return true
}

func fieldProblem(w http.ResponseWriter, field, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": http.StatusBadRequest, "detail": field + ": " + detail, "field": field})
}
