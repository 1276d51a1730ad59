package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/model"
)

// Each role lands on the page where its work starts.
func TestLanding(t *testing.T) {
	tests := []struct{ token, want string }{
		{"tok-requester", "/console/decisions"},
		{"tok-auditor", "/console/decisions"},
		{"tok-authority", "/console/decisions"},
		{"tok-approver", "/console/approvals"},
		{"tok-operator", "/console/datasets"},
		{"tok-vendor", "/console/advisories"},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			h := newHarness(t)
			h.signIn(tt.token)
			st, hd, _ := h.get("/")
			if st != http.StatusSeeOther || hd.Get("Location") != tt.want {
				t.Fatalf("GET / = %d %s, want %s", st, hd.Get("Location"), tt.want)
			}
			if st, _, body := h.get(tt.want); st != http.StatusOK {
				t.Fatalf("GET %s = %d\n%s", tt.want, st, body)
			}
		})
	}
}

// check fails the test unless the answer has status want and every
// string of wantIn in its body, and none of notIn.
func check(t *testing.T, what string, st int, body string, want int, wantIn []string, notIn ...string) {
	t.Helper()
	if st != want {
		t.Fatalf("%s = %d, want %d\n%s", what, st, want, body)
	}
	for _, w := range wantIn {
		if !strings.Contains(body, w) {
			t.Errorf("%s: no %q in\n%s", what, w, body)
		}
	}
	for _, w := range notIn {
		if strings.Contains(body, w) {
			t.Errorf("%s: %q should not be in\n%s", what, w, body)
		}
	}
}

// TestMenuFollowsRoles: the menu offers a role only the pages whose API
// calls that role may make (a page it cannot read is not offered).
func TestMenuFollowsRoles(t *testing.T) {
	tests := []struct {
		token      string
		has, lacks []string
	}{
		{"tok-auditor", []string{"/console/reports", "/console/flows", "/console/mla", "/console/decisions"}, nil},
		{"tok-requester", []string{"/console/flows", "/console/mla", "/console/decisions"}, []string{"/console/reports"}},
		{"tok-operator", []string{"/console/datasets"}, []string{"/console/reports", "/console/flows", "/console/mla", "/console/decisions"}},
		{"tok-vendor", []string{"/console/advisories"}, []string{"/console/reports", "/console/flows", "/console/mla", "/console/decisions"}},
		{"tok-approver", []string{"/console/approvals"}, []string{"/console/reports", "/console/flows", "/console/mla", "/console/decisions"}},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			h := newHarness(t)
			h.signIn(tt.token)
			_, _, body := h.get("/console/pending")
			menu := body
			if i := strings.Index(body, "</nav>"); i > 0 {
				menu = body[:i]
			}
			for _, p := range tt.has {
				if !strings.Contains(menu, `href="`+p+`"`) {
					t.Errorf("menu lacks %s", p)
				}
			}
			for _, p := range tt.lacks {
				if strings.Contains(menu, `href="`+p+`"`) {
					t.Errorf("menu offers %s, which this role cannot read", p)
				}
			}
		})
	}
}

func TestApprovalsList(t *testing.T) {
	tests := []struct {
		name, token, path string
		want              int
		wantIn, notIn     []string
	}{
		{"approver sees its requests and may answer", "tok-approver", "/console/approvals", http.StatusOK,
			[]string{"apr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "apr-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", `href="/console/approvals/apr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">answer</a>`, "format=csv"}, nil},
		{"filtered by status", "tok-approver", "/console/approvals?status=approved", http.StatusOK,
			[]string{"apr-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "format=csv&amp;status=approved"}, []string{"apr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}},
		{"requester: its own, no answer link", "tok-requester", "/console/approvals", http.StatusOK,
			[]string{"apr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", `<a href="/console/decisions/dec-2">dec-2</a>`}, []string{">answer</a>"}},
		{"bad status names its field", "tok-approver", "/console/approvals?status=maybe", http.StatusBadRequest, []string{`href="#f-status"`}, nil},
		{"bad dataset names its field", "tok-approver", "/console/approvals?dataset=%3Cb%3E", http.StatusBadRequest, []string{`href="#f-dataset"`}, []string{"<b>"}},
		{"unknown parameter", "tok-approver", "/console/approvals?holder=x", http.StatusBadRequest, []string{`href="#f-form"`}, nil},
		{"vendor may not", "tok-vendor", "/console/approvals", http.StatusForbidden, []string{"Your role does not see approval requests"}, nil},
		{"CSV export", "tok-approver", "/console/approvals?status=pending&format=csv", http.StatusOK,
			[]string{"id,status,dataset,action,purpose,requester,on_behalf_of,holder,rules,decision,created,lapses,expires\napr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,pending,firmware-fr,access,maintenance,acme,,hold-co,gdsi-7-vendor-maintenance,dec-2,2026-11-22T12:00:00Z,2026-11-23T00:00:00Z,\n"}, nil},
		{"detail with the answer forms", "tok-approver", "/console/approvals/apr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", http.StatusOK,
			[]string{`action="/console/approvals/apr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/approve"`, `name="version" value="1"`, "as asked (8 hours)"}, nil},
		{"detail of an answered request", "tok-approver", "/console/approvals/apr-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", http.StatusOK,
			[]string{"approved", "hold-co", "2026-11-23 01:00:00Z"}, []string{"/approve"}},
		{"a requester reads, never answers", "tok-requester", "/console/approvals/apr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", http.StatusOK, nil, []string{"/approve"}},
		{"bad id", "tok-approver", "/console/approvals/x%3Cy", http.StatusBadRequest, []string{"is not an approval request id"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.signIn(tt.token)
			st, _, body := h.get(tt.path)
			check(t, tt.path, st, body, tt.want, tt.wantIn, tt.notIn...)
		})
	}
}

func TestAnswerApproval(t *testing.T) {
	const pending = "/console/approvals/apr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	tests := []struct {
		name, token, path string
		form              url.Values
		noCSRF            bool
		site              string
		want              int
		wantLoc, wantIn   string
		answer            string // what reached the API, "" for nothing
	}{
		{"approve for an hour", "tok-approver", pending + "/approve", url.Values{"version": {"1"}, "duration": {"1h"}}, false, "", http.StatusSeeOther,
			pending + "?done=approve", "", `apr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa approve 3600 "v1"`},
		{"approve as asked", "tok-approver", pending + "/approve", url.Values{"version": {"1"}}, false, "", http.StatusSeeOther,
			pending + "?done=approve", "", `apr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa approve 0 "v1"`},
		{"deny", "tok-approver", pending + "/deny", url.Values{"version": {"1"}}, false, "", http.StatusSeeOther,
			pending + "?done=deny", "", `apr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa deny 0 "v1"`},
		{"a duration out of bounds", "tok-approver", pending + "/approve", url.Values{"version": {"1"}, "duration": {"200h"}}, false, "", http.StatusBadRequest,
			"", `href="#f-duration"`, ""},
		{"a denial takes no duration", "tok-approver", pending + "/deny", url.Values{"version": {"1"}, "duration": {"1h"}}, false, "", http.StatusBadRequest,
			"", "a denial takes no duration", ""},
		{"no version", "tok-approver", pending + "/approve", url.Values{}, false, "", http.StatusBadRequest, "", `href="#f-version"`, ""},
		{"a stale version", "tok-approver", pending + "/approve", url.Values{"version": {"0"}}, false, "", http.StatusPreconditionFailed,
			"", "changed since the page was drawn", ""},
		{"answered already", "tok-approver", "/console/approvals/apr-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/approve", url.Values{"version": {"2"}}, false, "", http.StatusConflict,
			"", "already answered", ""},
		{"the requester may not", "tok-requester", pending + "/approve", url.Values{"version": {"1"}}, false, "", http.StatusForbidden, "", "may not POST", ""},
		{"no CSRF token", "tok-approver", pending + "/approve", url.Values{"version": {"1"}}, true, "", http.StatusForbidden, "", "security token", ""},
		{"cross-site", "tok-approver", pending + "/approve", url.Values{"version": {"1"}}, false, "cross-site", http.StatusForbidden, "", "another site", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.signIn(tt.token)
			form := url.Values{"idem": {"k1"}}
			for k, v := range tt.form {
				form[k] = v
			}
			if !tt.noCSRF {
				form.Set("csrf", h.csrf("/console/approvals"))
			}
			hdr := http.Header{}
			if tt.site != "" {
				hdr.Set("Sec-Fetch-Site", tt.site)
			}
			st, hd, body := h.postForm(tt.path, form, hdr)
			if st != tt.want || hd.Get("Location") != tt.wantLoc || !strings.Contains(body, tt.wantIn) {
				t.Fatalf("= %d %s, want %d %s with %q\n%s", st, hd.Get("Location"), tt.want, tt.wantLoc, tt.wantIn, body)
			}
			got := strings.Join(h.api.answers, "; ")
			if got != tt.answer {
				t.Fatalf("the API got %q, want %q", got, tt.answer)
			}
			if st == http.StatusSeeOther {
				_, _, page := h.get(tt.wantLoc)
				if !strings.Contains(page, `role="status"`) || strings.Contains(page, "/approve\"") {
					t.Fatalf("after answering, the page shows no notice or still the form:\n%s", page)
				}
			}
		})
	}
}

func TestPendingShowsApprovals(t *testing.T) {
	tests := []struct {
		name, token   string
		wantIn, notIn []string
	}{
		{"the holder's approver answers from Pending", "tok-approver",
			[]string{"Waiting on the data holder", `action="/console/approvals/apr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/approve"`, `aria-label="Approve apr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"`},
			[]string{"may not list decisions", `role="alert"`, "apr-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}},
		{"the requester sees what its decision waits on", "tok-requester",
			[]string{`<a href="/console/approvals/apr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" class="req">`, "dec-2"},
			[]string{"/approve"}},
		{"an authority sees no approvals", "tok-authority", []string{"Lodge a signed authorization"}, []string{"Waiting on the data holder"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.signIn(tt.token)
			st, _, body := h.get("/console/pending")
			check(t, "pending", st, body, http.StatusOK, tt.wantIn, tt.notIn...)
		})
	}
}

func TestResubmitAfterApproval(t *testing.T) {
	h := newHarness(t)
	h.signIn("tok-requester")
	st, _, body := h.get("/console/decisions/dec-4")
	check(t, "dec-4", st, body, http.StatusOK, []string{`<a href="/console/approvals/apr-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb">`, "Resubmit to get a new decision that counts it"},
		`<option value="customer-approval">`)
	csrf := csrfField.FindStringSubmatch(body)[1]
	st, hd, body := h.postForm("/console/pending/dec-4/resubmit", url.Values{"csrf": {csrf}, "idem": {"k"}}, nil)
	if st != http.StatusSeeOther || hd.Get("Location") != "/console/decisions/dec-9?from=dec-4" {
		t.Fatalf("resubmit after the approval = %d %s\n%s", st, hd.Get("Location"), body)
	}
	// dec-2's approval is pending (and not named by its reasons): nothing
	// to resubmit with is still an error naming the field.
	st, _, body = h.postForm("/console/pending/dec-2/resubmit", url.Values{"csrf": {csrf}}, nil)
	check(t, "dec-2", st, body, http.StatusBadRequest, []string{`href="#f-measure"`})
}

func TestDatasets(t *testing.T) {
	tests := []struct {
		name, token, path string
		want              int
		wantIn, notIn     []string
	}{
		{"operator: the catalog and the add link", "tok-operator", "/console/datasets", http.StatusOK,
			[]string{`href="/console/datasets/crm-eu"`, "firmware-fr", `href="/console/datasets/new"`, "format=csv"}, nil},
		{"requester reads, no add link", "tok-requester", "/console/datasets", http.StatusOK, []string{"crm-eu"}, []string{"/console/datasets/new"}},
		{"filtered by holder", "tok-auditor", "/console/datasets?holder=hold-co", http.StatusOK, []string{"firmware-fr"}, []string{`href="/console/datasets/crm-eu"`}},
		{"bad location names its field", "tok-auditor", "/console/datasets?location=France", http.StatusBadRequest, []string{`href="#f-location"`}, nil},
		{"CSV", "tok-auditor", "/console/datasets?format=csv&location=fr", http.StatusOK,
			[]string{"id,location,origin,categories,classification,holder,records,devices,subjects,updated\ncrm-eu,FR,FR,personal.contact,,,1000,0,\"DE=100, FR=900\",2026-11-01T09:00:00Z\nfirmware-fr,FR,,technical,general,hold-co,40,0,,2026-11-01T09:00:00Z\n"}, nil},
		{"vendor may not", "tok-vendor", "/console/datasets", http.StatusForbidden, []string{"does not read the catalog"}, nil},
		{"edit form for the operator", "tok-operator", "/console/datasets/crm-eu", http.StatusOK,
			[]string{`name="etag" value="&#34;`, `value="DE=100, FR=900"`, `action="/console/datasets/crm-eu"`}, nil},
		{"no form for an auditor", "tok-auditor", "/console/datasets/crm-eu", http.StatusOK, []string{"personal.contact"}, []string{`id="dataset-form"`}},
		{"new form", "tok-operator", "/console/datasets/new", http.StatusOK, []string{`id="f-id"`}, nil},
		{"new form: operators only", "tok-requester", "/console/datasets/new", http.StatusForbidden, []string{"Only an operator"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.signIn(tt.token)
			st, _, body := h.get(tt.path)
			check(t, tt.path, st, body, tt.want, tt.wantIn, tt.notIn...)
		})
	}
}

func TestSaveDataset(t *testing.T) {
	good := url.Values{"id": {"hr-de"}, "location": {"de"}, "origin": {"de, fr"}, "categories": {"personal.contact"}, "classification": {"important"},
		"records": {"12"}, "subjects": {"DE=10, FR=2"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, val := range good {
			f[key] = val
		}
		f.Set(k, v)
		return f
	}
	tests := []struct {
		name, token, path string
		form              url.Values
		etag              string // "" none, "page": the page's
		want              int
		wantLoc, wantIn   string
	}{
		{"create", "tok-operator", "/console/datasets", good, "", http.StatusSeeOther, "/console/datasets/hr-de?saved=12", ""},
		{"bad id", "tok-operator", "/console/datasets", with("id", "a b"), "", http.StatusBadRequest, "", `href="#f-id"`},
		{"bad origin", "tok-operator", "/console/datasets", with("origin", "France"), "", http.StatusBadRequest, "", `href="#f-origin"`},
		{"unknown category", "tok-operator", "/console/datasets", with("categories", "gossip"), "", http.StatusBadRequest, "", `href="#f-categories"`},
		{"bad subjects", "tok-operator", "/console/datasets", with("subjects", "DE:10"), "", http.StatusBadRequest, "", `href="#f-subjects"`},
		{"negative records", "tok-operator", "/console/datasets", with("records", "-1"), "", http.StatusBadRequest, "", `href="#f-records"`},
		{"the API names the field", "tok-operator", "/console/datasets", with("location", "XX"), "", http.StatusBadRequest, "", `href="#f-location"`},
		{"exists", "tok-operator", "/console/datasets", with("id", "crm-eu"), "", http.StatusConflict, "", "exists"},
		{"operators only", "tok-requester", "/console/datasets", good, "", http.StatusForbidden, "", "Only an operator"},
		{"edit", "tok-operator", "/console/datasets/crm-eu", with("holder", "hold-co"), "page", http.StatusSeeOther, "/console/datasets/crm-eu?saved=13", ""},
		{"edit without the etag", "tok-operator", "/console/datasets/crm-eu", good, "", http.StatusBadRequest, "", `href="#f-etag"`},
		{"edit of a changed dataset", "tok-operator", "/console/datasets/crm-eu", good, `"0"`, http.StatusPreconditionFailed, "", "changed since this form was drawn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.signIn(tt.token)
			_, _, page := h.get("/console/datasets/crm-eu")
			form := url.Values{"csrf": {csrfField.FindStringSubmatch(page)[1]}}
			for k, v := range tt.form {
				form[k] = v
			}
			switch tt.etag {
			case "page":
				form.Set("etag", datasetETag(t0Datasets))
			case "":
			default:
				form.Set("etag", tt.etag)
			}
			before := len(h.api.datasets)
			st, hd, body := h.postForm(tt.path, form, nil)
			if st != tt.want || hd.Get("Location") != tt.wantLoc || !strings.Contains(body, tt.wantIn) {
				t.Fatalf("= %d %s, want %d %s with %q\n%s", st, hd.Get("Location"), tt.want, tt.wantLoc, tt.wantIn, body)
			}
			if st != http.StatusSeeOther {
				if len(h.api.datasets) != before || h.api.datasets[0].Holder != "" {
					t.Fatal("a refused form changed the catalog")
				}
				return
			}
			_, _, saved := h.get(tt.wantLoc)
			check(t, "saved", http.StatusOK, saved, http.StatusOK, []string{"the change is on the log at index"})
		})
	}
	// The edit keeps what the form does not show, and sends the labels.
	h := newHarness(t)
	h.signIn("tok-operator")
	h.api.datasets[0].CII = &modelCII
	form := with("holder", "hold-co")
	form.Set("csrf", h.csrf("/console/datasets/crm-eu"))
	form.Set("etag", datasetETag(t0Datasets))
	if st, _, body := h.postForm("/console/datasets/crm-eu", form, nil); st != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", st, body)
	}
	d := h.api.datasets[0]
	if d.ID != "crm-eu" || d.Location != "DE" || d.Holder != "hold-co" || d.CII == nil || d.CII.Sector != "energy" || d.Subjects["FR"] != 2 || strings.Join(d.Origin, ",") != "DE,FR" {
		t.Fatalf("stored %+v", d)
	}
}

func TestAdvisories(t *testing.T) {
	const envelope = `{"payloadType":"application/vnd.accord.advisory+json","payload":"eyJpZCI6IkFDTUUtMSJ9","signatures":[{"keyid":"k","sig":"c2ln"}]}`
	h := newHarness(t)
	post := func(token, path string, form url.Values) (int, string) {
		t.Helper()
		h.signIn(token)
		form.Set("csrf", h.csrf("/console/advisories"))
		st, _, body := h.postForm(path, form, nil)
		return st, body
	}
	steps := []struct {
		name, token, path string
		form              url.Values
		want              int
		wantIn            string
	}{
		{"no key registered yet", "tok-vendor", "/console/advisories", url.Values{"envelope": {envelope}}, http.StatusForbidden, "no registered advisory key"},
		{"not JSON", "tok-vendor", "/console/advisories", url.Values{"envelope": {"{nope"}}, http.StatusBadRequest, "not JSON (byte"},
		{"not an advisory", "tok-vendor", "/console/advisories", url.Values{"envelope": {strings.Replace(envelope, "advisory+json", "statement+json", 1)}}, http.StatusBadRequest, "payloadType must be"},
		{"nothing pasted", "tok-vendor", "/console/advisories", url.Values{}, http.StatusBadRequest, `href="#f-envelope"`},
		{"a vendor registers no key", "tok-vendor", "/console/advisories/keys", url.Values{"vendor_id": {"globex"}, "public_key": {"ed25519:AAAA"}}, http.StatusForbidden, "may not PUT"},
		{"a key the API refuses", "tok-operator", "/console/advisories/keys", url.Values{"vendor_id": {"globex"}, "public_key": {"rsa:AAAA"}}, http.StatusBadRequest, `href="#f-public_key"`},
		{"a bad vendor id", "tok-operator", "/console/advisories/keys", url.Values{"vendor_id": {"<x>"}, "public_key": {"ed25519:AAAA"}}, http.StatusBadRequest, `href="#f-vendor_id"`},
		{"the operator registers the key", "tok-operator", "/console/advisories/keys", url.Values{"vendor_id": {"globex"}, "public_key": {strings.Repeat("A", 43) + "="}}, http.StatusOK, "logged at index 15"},
		{"a bad signature names the path", "tok-vendor", "/console/advisories", url.Values{"envelope": {strings.Replace(envelope, "eyJpZCI6IkFDTUUtMSJ9", "e30=", 1)}}, http.StatusBadRequest, "at /signatures:"},
		{"published", "tok-vendor", "/console/advisories", url.Values{"envelope": {envelope}}, http.StatusCreated, "Advisory globex/ACME-1 published: severity critical, 1 deployment affected, logged at index 14."},
	}
	for _, s := range steps {
		st, body := post(s.token, s.path, s.form)
		if st != s.want || !strings.Contains(body, s.wantIn) {
			t.Fatalf("%s: %d, want %d with %q\n%s", s.name, st, s.want, s.wantIn, body)
		}
	}
	st, _, body := h.get("/console/advisories?vendor=globex")
	check(t, "list", st, body, http.StatusOK, []string{"ACME-1", "gdsi8-forced-upgrade", "Only mine"})
	st, _, csv := h.get("/console/advisories?format=csv")
	check(t, "CSV", st, csv, http.StatusOK, []string{"key,vendor,id,format,severity,flags,affected,log_index,published\nglobex/ACME-1,globex,ACME-1,osv,critical,gdsi8-forced-upgrade,1,14,2026-11-22T12:00:00Z\n"})
	st, _, body = h.get("/console/advisories?vendor=initech")
	check(t, "filtered", st, body, http.StatusOK, []string{"No advisory matches"}, "ACME-1")
}

func TestNewRequest(t *testing.T) {
	tests := []struct {
		name, token string
		form        url.Values
		want        int
		wantLoc     string
		wantIn      string
		wantBody    string // what reached POST /v1/decisions
	}{
		{"fields", "tok-requester", url.Values{"action": {"access"}, "dataset": {"firmware-fr"}, "destination": {"us"}, "purpose": {"maintenance"}, "basis": {"contract"}, "measures": {"scc, encryption"}},
			http.StatusSeeOther, "/console/decisions/dec-9", "",
			`{"action":"access","basis":{"kind":"contract","measures":["scc","encryption"]},"data":{"dataset":"firmware-fr"},"destination":"US","purpose":"maintenance"}`},
		{"JSON", "tok-requester", url.Values{"action": {"access"}, "basis": {"none"}, "request": {"{\n \"action\": \"transfer\", \"data\": {\"dataset\": \"crm-eu\"}}"}},
			http.StatusSeeOther, "/console/decisions/dec-9", "", `{"action":"transfer","data":{"dataset":"crm-eu"}}`},
		{"no dataset", "tok-requester", url.Values{"action": {"access"}}, http.StatusBadRequest, "", `href="#f-dataset"`, ""},
		{"bad action", "tok-requester", url.Values{"action": {"steal"}, "dataset": {"crm-eu"}}, http.StatusBadRequest, "", `href="#f-action"`, ""},
		{"bad destination", "tok-requester", url.Values{"action": {"access"}, "dataset": {"crm-eu"}, "destination": {"USA"}}, http.StatusBadRequest, "", `href="#f-destination"`, ""},
		{"bad purpose", "tok-requester", url.Values{"action": {"access"}, "dataset": {"crm-eu"}, "purpose": {"fun"}}, http.StatusBadRequest, "", `href="#f-purpose"`, ""},
		{"JSON and fields", "tok-requester", url.Values{"dataset": {"crm-eu"}, "request": {`{"action":"access"}`}}, http.StatusBadRequest, "", "not both", ""},
		{"not JSON", "tok-requester", url.Values{"request": {`{"action":`}}, http.StatusBadRequest, "", `href="#f-request"`, ""},
		{"an auditor asks nothing", "tok-auditor", url.Values{"action": {"access"}, "dataset": {"crm-eu"}}, http.StatusForbidden, "", "Only a requester", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.signIn(tt.token)
			form := url.Values{"csrf": {h.csrf("/console/decisions/new")}, "idem": {"k"}}
			for k, v := range tt.form {
				form[k] = v
			}
			st, hd, body := h.postForm("/console/decisions", form, nil)
			if st != tt.want || hd.Get("Location") != tt.wantLoc || !strings.Contains(body, tt.wantIn) {
				t.Fatalf("= %d %s, want %d %s with %q\n%s", st, hd.Get("Location"), tt.want, tt.wantLoc, tt.wantIn, body)
			}
			if h.api.lastDecision != tt.wantBody {
				t.Fatalf("the API got %s, want %s", h.api.lastDecision, tt.wantBody)
			}
		})
	}
	h := newHarness(t)
	h.signIn("tok-requester")
	st, _, body := h.get("/console/decisions/new")
	check(t, "form", st, body, http.StatusOK, []string{`<option value="firmware-fr">`, `<option value="none" selected>`})
	_, _, body = h.get("/console/decisions")
	check(t, "decisions", http.StatusOK, body, http.StatusOK, []string{`href="/console/decisions/new"`})
}

// modelCII marks a dataset as critical infrastructure: a label the
// dataset form does not show, kept across an edit.
var modelCII = model.CII{State: "FR", Sector: "energy"}
