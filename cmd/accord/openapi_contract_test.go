package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/accord-dev/accord/internal/api"
)

// The OpenAPI document is held to what the live server answers with
// github.com/santhosh-tekuri/jsonschema/v6: OpenAPI 3.1 schemas are JSON
// Schema 2020-12, which that library implements in full (kin-openapi, used
// by internal/api's tests for routing, emulates only part of 2020-12).

// docBase is the URL the OpenAPI document is registered under for the
// schema compiler; its $refs ("#/components/...") resolve inside it.
const docBase = "https://accord.test/openapi.json"

// openAPIDoc is the served document, decoded, with a compiler for its
// schemas.
type openAPIDoc struct {
	root     map[string]any
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema
}

// operation is one operation of the document.
type operation struct {
	id, method, path string
	ptr              string // JSON pointer of the operation object
	obj              map[string]any
	params           []map[string]any // path-level then operation-level, $refs resolved
}

func loadOpenAPI(t *testing.T) *openAPIDoc {
	t.Helper()
	var y any
	if err := yaml.Unmarshal(api.OpenAPIYAML, &y); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	raw, err := json.Marshal(y)
	if err != nil {
		t.Fatalf("openapi.yaml as JSON: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docBase, inst); err != nil {
		t.Fatal(err)
	}
	return &openAPIDoc{root: root, compiler: c, schemas: map[string]*jsonschema.Schema{}}
}

// pointerEscape escapes one JSON pointer token.
func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// at returns the value at a JSON pointer of the document.
func (d *openAPIDoc) at(ptr string) any {
	var v any = d.root
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// resolve follows a local $ref, returning the object and its pointer.
func (d *openAPIDoc) resolve(ptr string) (map[string]any, string) {
	for range 8 {
		m, _ := d.at(ptr).(map[string]any)
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, ptr
		}
		ptr = strings.TrimPrefix(ref, "#")
	}
	return nil, ptr
}

// schema compiles the schema at ptr.
func (d *openAPIDoc) schema(t *testing.T, ptr string) *jsonschema.Schema {
	t.Helper()
	if s, ok := d.schemas[ptr]; ok {
		return s
	}
	s, err := d.compiler.Compile(docBase + "#" + ptr)
	if err != nil {
		t.Fatalf("compile schema %s: %v", ptr, err)
	}
	d.schemas[ptr] = s
	return s
}

// validate checks a JSON text against the schema at ptr.
func (d *openAPIDoc) validate(t *testing.T, ptr string, body []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return d.schema(t, ptr).Validate(inst)
}

// operations lists every operation of the document, sorted by path then
// method.
func (d *openAPIDoc) operations() []operation {
	paths, _ := d.root["paths"].(map[string]any)
	var ops []operation
	for p, item := range paths {
		im, _ := item.(map[string]any)
		for _, method := range []string{"get", "put", "post", "delete", "patch", "head"} {
			o, ok := im[method].(map[string]any)
			if !ok {
				continue
			}
			op := operation{method: strings.ToUpper(method), path: p, ptr: "/paths/" + pointerEscape(p) + "/" + method, obj: o}
			op.id, _ = o["operationId"].(string)
			for i, level := range []string{"/paths/" + pointerEscape(p), op.ptr} {
				ps, _ := d.at(level + "/parameters").([]any)
				for j := range ps {
					pm, _ := d.resolve(fmt.Sprintf("%s/parameters/%d", level, j))
					if pm != nil {
						op.params = append(op.params, pm)
					}
				}
				_ = i
			}
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].path != ops[j].path {
			return ops[i].path < ops[j].path
		}
		return ops[i].method < ops[j].method
	})
	return ops
}

// hasExample says whether a media type or schema object carries an
// example, and returns them as JSON texts.
func examplesOf(m map[string]any) [][]byte {
	var out [][]byte
	if v, ok := m["example"]; ok {
		b, _ := json.Marshal(v)
		out = append(out, b)
	}
	switch ex := m["examples"].(type) {
	case map[string]any: // media type: name -> Example object
		for _, e := range ex {
			if em, ok := e.(map[string]any); ok {
				if v, ok := em["value"]; ok {
					b, _ := json.Marshal(v)
					out = append(out, b)
				}
			}
		}
	case []any: // schema: JSON Schema examples
		for _, v := range ex {
			b, _ := json.Marshal(v)
			out = append(out, b)
		}
	}
	return out
}

// isJSON says whether a media type carries JSON.
func isJSON(mt string) bool { return mt == "application/json" || strings.HasSuffix(mt, "+json") }

// isText says whether a media type is text an example can show.
func isText(mt string) bool { return isJSON(mt) || strings.HasPrefix(mt, "text/") }

// TestOpenAPIExamples: every operation documents an example request body
// and an example for every response that has a body, every component
// schema has an example, and every example validates against its schema.
// A new operation without examples fails here.
func TestOpenAPIExamples(t *testing.T) {
	d := loadOpenAPI(t)
	for _, op := range d.operations() {
		name := op.id + " (" + op.method + " " + op.path + ")"
		if op.id == "" {
			t.Errorf("%s %s has no operationId", op.method, op.path)
		}
		if s, _ := op.obj["description"].(string); strings.TrimSpace(s) == "" {
			t.Errorf("%s has no description", name)
		}
		if _, ok := op.obj["requestBody"]; ok {
			rb, rbPtr := d.resolve(op.ptr + "/requestBody")
			content, _ := rb["content"].(map[string]any)
			for mt := range content {
				mptr := rbPtr + "/content/" + pointerEscape(mt)
				checkMediaExamples(t, d, name+" request "+mt, mptr, mt)
			}
		}
		for _, p := range op.params {
			if p["in"] == "path" {
				if _, ok := p["example"]; !ok {
					t.Errorf("%s: path parameter %v has no example", name, p["name"])
				}
			}
		}
		resps, _ := op.obj["responses"].(map[string]any)
		if len(resps) == 0 {
			t.Errorf("%s documents no response", name)
		}
		for status := range resps {
			r, rptr := d.resolve(op.ptr + "/responses/" + status)
			content, _ := r["content"].(map[string]any)
			for mt := range content {
				checkMediaExamples(t, d, name+" response "+status+" "+mt, rptr+"/content/"+pointerEscape(mt), mt)
			}
		}
	}
	schemas, _ := d.at("/components/schemas").(map[string]any)
	for name := range schemas {
		ptr := "/components/schemas/" + pointerEscape(name)
		m, _ := d.at(ptr).(map[string]any)
		exs := examplesOf(m)
		if len(exs) == 0 {
			t.Errorf("schema %s has no example", name)
		}
		for i, ex := range exs {
			if err := d.validate(t, ptr, ex); err != nil {
				t.Errorf("schema %s: example %d does not validate: %v", name, i, err)
			}
		}
	}
}

// checkMediaExamples checks that the media type at mptr has an example
// (binary types excepted) and that each validates against its schema.
func checkMediaExamples(t *testing.T, d *openAPIDoc, what, mptr, mt string) {
	t.Helper()
	m, _ := d.at(mptr).(map[string]any)
	exs := examplesOf(m)
	if !isText(mt) {
		return // tiles and entry bundles: binary, described in prose
	}
	if len(exs) == 0 {
		t.Errorf("%s has no example", what)
		return
	}
	if !isJSON(mt) {
		return
	}
	for i, ex := range exs {
		if err := d.validate(t, mptr+"/schema", ex); err != nil {
			t.Errorf("%s: example %d does not validate against its schema: %v", what, i, err)
		}
	}
}

// contractStep is one exchange of TestOpenAPIContract: an operation called
// with its documented example request, as the holder of a demo token.
type contractStep struct {
	op    string
	token string // demo token name (demo-tokens.env without ACCORD_TOKEN_); "" sends none
	// params gives path and query parameters the example cannot know, such
	// as ids the server makes; "{name}" is a value kept by an earlier step;
	// "-" leaves out a query parameter that has an example. Other parameters take their documented example (query parameters
	// only when they have one).
	params map[string]string
	header map[string]string
	// body replaces the example request body; only where the example
	// cannot be sent as is (said why at the step). "{name}" in it is a
	// value kept by an earlier step.
	body string
	// status is the answer expected; 0: the operation's first documented
	// 2xx.
	status int
	// keep remembers values of the answer for later steps.
	keep func(vars map[string]string, h http.Header, body []byte)
	// before runs first: what the step needs that no example makes.
	before func(t *testing.T, s *demoServer, vars map[string]string)
}

// keepJSON keeps string fields of a JSON answer under names.
func keepJSON(fields map[string]string) func(map[string]string, http.Header, []byte) {
	return func(vars map[string]string, h http.Header, body []byte) {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		for name, path := range fields {
			var v any = m
			for _, k := range strings.Split(path, ".") {
				mm, _ := v.(map[string]any)
				v = mm[k]
			}
			switch x := v.(type) {
			case string:
				vars[name] = x
			case float64:
				vars[name] = strconv.FormatInt(int64(x), 10)
			}
		}
	}
}

// keepETag keeps the answer's ETag under name.
func keepETag(name string) func(map[string]string, http.Header, []byte) {
	return func(vars map[string]string, h http.Header, _ []byte) { vars[name] = h.Get("ETag") }
}

// contractSteps calls every operation of the document, in an order that
// makes each succeed on a fresh serve --demo.
var contractSteps = []contractStep{
	{op: "healthz"},
	{op: "readyz"},
	{op: "openapi"},
	{op: "metrics"},
	{op: "problemType"},
	{op: "check", token: "REQUESTER"},
	{op: "decide", token: "REQUESTER", keep: keepJSON(map[string]string{"decision": "decision.id"})},
	{op: "getDecision", token: "REQUESTER", params: map[string]string{"id": "{decision}"}},
	{op: "getDecisionRecord", token: "REQUESTER", params: map[string]string{"id": "{decision}"}},
	{op: "whoami", token: "AUDITOR"},
	// The documented filters describe a law-enforcement case; the demo's
	// pending decision so far is the requester's transfer above.
	{op: "listDecisions", token: "AUDITOR", params: map[string]string{
		"pack": "-", "rule": "-", "requesting_state": "-", "location": "-", "subject_state": "-",
		"action": "transfer", "purpose": "commercial", "since": "-", "until": "-", "pending_on": "-"}},
	// A vendor (globex) asks for access to firmware-fr, which acme holds:
	// the decision waits on acme's approval and asks for it by itself. Its
	// modification is denied as a forced upgrade, and asked for explicitly.
	// The decide example is a transfer of crm-eu: these bodies name the
	// vendor's requests.
	{op: "decide", token: "GLOBEX", body: `{"action":"access","data":{"dataset":"firmware-fr"},"purpose":"maintenance","basis":{"kind":"contract"}}`,
		keep: keepJSON(map[string]string{"vendor-access": "decision.id"})},
	{op: "decide", token: "GLOBEX", body: `{"action":"modify","data":{"dataset":"firmware-fr"},"purpose":"maintenance","basis":{"kind":"contract"}}`,
		keep: keepJSON(map[string]string{"vendor-modify": "decision.id"})},
	// The example names a decision id the server has not made.
	{op: "askApproval", token: "GLOBEX", body: `{"decision":"{vendor-modify}","duration_seconds":7200}`, status: 201,
		keep: keepJSON(map[string]string{"approval-denied": "id"})},
	// Asking for the access again answers the open request (200).
	{op: "askApproval", token: "GLOBEX", body: `{"decision":"{vendor-access}"}`,
		keep: keepJSON(map[string]string{"approval": "id"})},
	{op: "listApprovals", token: "APPROVER"},
	{op: "getApproval", token: "GLOBEX", params: map[string]string{"id": "{approval}"}, keep: keepETag("approval-etag")},
	{op: "approveApproval", token: "APPROVER", params: map[string]string{"id": "{approval}"}, header: map[string]string{"If-Match": "{approval-etag}"}},
	{op: "denyApproval", token: "APPROVER", params: map[string]string{"id": "{approval-denied}"}},
	{op: "listDatasets", token: "OPERATOR"},
	{op: "createDataset", token: "OPERATOR"},
	{op: "getDataset", token: "OPERATOR", keep: keepETag("dataset-etag")},
	{op: "updateDataset", token: "OPERATOR", header: map[string]string{"If-Match": "{dataset-etag}"}, keep: keepETag("dataset-etag")},
	{op: "deleteDataset", token: "OPERATOR", header: map[string]string{"If-Match": "{dataset-etag}"}},
	{op: "logSeal", token: "OPERATOR"},
	{op: "putOverride", token: "OPERATOR", header: map[string]string{"If-None-Match": "*"}, status: 201},
	{op: "getOverride", token: "OPERATOR", keep: keepETag("override-etag")},
	{op: "listRegistry", token: "AUDITOR"},
	{op: "listRegistryChanges", token: "AUDITOR"},
	{op: "deleteOverride", token: "OPERATOR", header: map[string]string{"If-Match": "{override-etag}"}},
	{op: "openCase", token: "FR_BEPI"},
	{op: "listCases", token: "AUDITOR"},
	{op: "moveCase", token: "CN_MOJ", params: map[string]string{"verb": "receive"}, body: "-"},
	{op: "moveCase", token: "CN_MOJ"}, // narrow, the documented example
	{op: "caseAuthorization", token: "CN_MOJ"},
	{op: "getCase", token: "CN_MOJ"},
	{op: "lodgeAuthorization", token: "CN_MOJ", keep: keepJSON(map[string]string{"authorization": "digest"})},
	{op: "getAuthorization", token: "CN_MOJ", params: map[string]string{"digest": "{authorization}"}},
	// The authorization lodged above is cn-moj's, not the example's FR.
	{op: "listAuthorizations", token: "AUDITOR", params: map[string]string{"state": "CN"}},
	{op: "executeCase", token: "MAILCO_CN"},
	{op: "lodgeRevocation", token: "CN_MOJ", keep: keepJSON(map[string]string{"revocation": "digest"})},
	{op: "getRevocation", token: "AUDITOR", params: map[string]string{"digest": "{revocation}"}},
	{op: "putVendorKey", token: "OPERATOR"},
	{op: "createDeployment", token: "REQUESTER"},
	{op: "listDeployments", token: "REQUESTER"},
	{op: "importSBOM", token: "REQUESTER"},
	{op: "publishAdvisory", token: "VENDOR"},
	{op: "listAdvisories", token: "AUDITOR"},
	{op: "listNotices", token: "AUDITOR"},
	{op: "transparencyReport", token: "AUDITOR"},
	{op: "transparencyReport", token: "AUDITOR", params: map[string]string{"format": "csv"}},
	{op: "transparencyReport", token: "AUDITOR", params: map[string]string{"format": "html"}},
	{op: "logCheckpoint", keep: func(vars map[string]string, _ http.Header, body []byte) {
		lines := strings.Split(string(body), "\n")
		if len(lines) > 1 {
			vars["size"] = lines[1]
		}
	}},
	{op: "logTilePartial", params: map[string]string{"L": "0", "N": "000", "W": "{size}"}},
	{op: "logEntriesPartial", params: map[string]string{"N": "000", "W": "{size}"}},
	// Full tiles exist from 256 entries on: decide until the log has them.
	{op: "logEntries", params: map[string]string{"N": "000"}, before: fillFirstTile},
	{op: "logTile", params: map[string]string{"L": "0", "N": "000"}},
}

// substitute replaces every "{name}" in s by the kept value.
func substitute(s string, vars map[string]string) string {
	return regexp.MustCompile(`\{[A-Za-z0-9_-]+\}`).ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := vars[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// TestOpenAPIContract starts `accord serve --demo` and, for every
// operation of the OpenAPI document, sends its documented example request
// and checks the live answer: its status is documented, its content type
// is one documented for that status, and its body validates against the
// documented schema. An operation that no step calls fails the test.
func TestOpenAPIContract(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	d := loadOpenAPI(t)
	ops := map[string]operation{}
	for _, op := range d.operations() {
		ops[op.id] = op
	}
	called := map[string]bool{}
	for _, st := range contractSteps {
		if _, ok := ops[st.op]; !ok {
			t.Errorf("step %s: no such operation in openapi.yaml", st.op)
		}
		called[st.op] = true
	}
	for id, op := range ops {
		if !called[id] {
			t.Errorf("operation %s (%s %s) is not called by TestOpenAPIContract: add a step that sends its documented example", id, op.method, op.path)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	dir := t.TempDir()
	installContractKeys(t, dir)
	s := startDemo(t, dir, "--rate-limit", "0") // fillFirstTile sends 256 decisions at once
	dump := os.Getenv("ACCORD_CONTRACT_DUMP")
	vars := map[string]string{}
	for i, st := range contractSteps {
		op := ops[st.op]
		name := fmt.Sprintf("step %d %s (%s %s)", i, op.id, op.method, op.path)
		if st.before != nil {
			st.before(t, s, vars)
		}
		path := op.path
		query := url.Values{}
		for _, p := range op.params {
			pname, _ := p["name"].(string)
			v, given := st.params[pname]
			if !given {
				ex, ok := p["example"]
				if !ok {
					if p["in"] == "path" {
						t.Fatalf("%s: path parameter %s has no example", name, pname)
					}
					continue
				}
				v = fmt.Sprint(ex)
			}
			if v == "-" && p["in"] == "query" {
				continue
			}
			v = substitute(v, vars)
			switch p["in"] {
			case "path":
				path = strings.ReplaceAll(path, "{"+pname+"}", v)
			case "query":
				query.Set(pname, v)
			}
		}
		if len(query) > 0 {
			path += "?" + query.Encode()
		}
		var body []byte
		contentType := ""
		if _, ok := op.obj["requestBody"]; ok && st.body != "-" {
			rb, rbPtr := d.resolve(op.ptr + "/requestBody")
			content, _ := rb["content"].(map[string]any)
			for mt := range content {
				exs := examplesOf(content[mt].(map[string]any))
				if len(exs) > 0 {
					body, contentType = exs[0], mt
				}
				_ = rbPtr
			}
			if st.body != "" {
				body = []byte(substitute(st.body, vars))
			}
			if body == nil && rb["required"] == true {
				t.Fatalf("%s: the request body has no example", name)
			}
		}
		want := st.status
		resps, _ := op.obj["responses"].(map[string]any)
		if want == 0 {
			for code := range resps {
				if n, err := strconv.Atoi(code); err == nil && n >= 200 && n < 300 && (want == 0 || n < want) {
					want = n
				}
			}
		}
		var status int
		var header http.Header
		var answer []byte
		// A log read may need a checkpoint that is not yet published.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			req, err := http.NewRequest(op.method, s.base+path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if body != nil {
				req.Header.Set("Content-Type", contentType)
			}
			if st.token != "" {
				tok, ok := s.tokens[st.token]
				if !ok {
					t.Fatalf("%s: no demo token %s", name, st.token)
				}
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			for k, v := range st.header {
				req.Header.Set(k, substitute(v, vars))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			answer, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			status, header = resp.StatusCode, resp.Header
			if status == want || !strings.HasPrefix(op.path, "/log/") || time.Now().After(deadline) {
				break
			}
		}
		if dump != "" {
			_ = os.WriteFile(filepath.Join(dump, fmt.Sprintf("%02d-%s.%d", i, op.id, status)), answer, 0o644)
		}
		if status != want {
			t.Errorf("%s: status %d, want %d\n%s", name, status, want, answer)
		}
		code := strconv.Itoa(status)
		if _, ok := resps[code]; !ok {
			t.Errorf("%s: status %d is not documented", name, status)
			continue
		}
		r, rptr := d.resolve(op.ptr + "/responses/" + code)
		content, _ := r["content"].(map[string]any)
		if len(content) == 0 {
			if len(answer) > 0 {
				t.Errorf("%s: %d documents no body, got %q", name, status, answer)
			}
			continue
		}
		mt, _, err := mime.ParseMediaType(header.Get("Content-Type"))
		if err != nil {
			t.Errorf("%s: Content-Type %q: %v", name, header.Get("Content-Type"), err)
			continue
		}
		if _, ok := content[mt]; !ok {
			t.Errorf("%s: Content-Type %s is not documented for %d (documented: %v)", name, mt, status, keys(content))
			continue
		}
		if isJSON(mt) {
			if err := d.validate(t, rptr+"/content/"+pointerEscape(mt)+"/schema", answer); err != nil {
				t.Errorf("%s: the live answer does not validate against the documented schema: %v\n%s", name, err, answer)
			}
		}
		for hname := range mapOf(r["headers"]) {
			hm, _ := d.resolve(rptr + "/headers/" + pointerEscape(hname))
			if hm["required"] == true && header.Get(hname) == "" {
				t.Errorf("%s: required header %s missing", name, hname)
			}
		}
		if st.keep != nil {
			st.keep(vars, header, answer)
		}
	}
}

func mapOf(v any) map[string]any { m, _ := v.(map[string]any); return m }

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// installContractKeys gives the demo its fixed test keys, so that the
// signed envelopes of the document's examples verify: the signing key of
// the demo authority cn-moj (serve --demo keeps an existing key).
func installContractKeys(t *testing.T, dir string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "contract", "cn-moj.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "demo-keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "demo-keys", "cn-moj.key"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestOpenAPIValidatorCatches: the schemas the contract test validates
// against refuse answers that drift from the document.
func TestOpenAPIValidatorCatches(t *testing.T) {
	d := loadOpenAPI(t)
	for _, tc := range []struct {
		name, schema, body string
		ok                 bool
	}{
		{"a decision as documented", "Decision", `{"outcome":"allow","reasons":[],"binding":false,"time":"2026-12-02T09:48:39Z"}`, true},
		{"an outcome not in the enum", "Decision", `{"outcome":"maybe","reasons":[],"binding":false,"time":"2026-12-02T09:48:39Z"}`, false},
		{"a time that is not RFC 3339", "Decision", `{"outcome":"allow","reasons":[],"binding":false,"time":"2 December 2026"}`, false},
		{"a problem without status", "Problem", `{"type":"/problems/not-found","title":"No such resource"}`, false},
		{"a report with an undocumented member", "TransparencyReport", `{"period":"all","from":"1970-01-01T00:00:00Z","to":"9999-12-31T23:59:59Z","rows":[],"totals":{"state":"*","channel":"*","requests":0,"subjects_requested":0,"subjects_disclosed":0,"records_requested":0,"disclosed":0,"refused":0,"pending":0,"third_state_excluded":0,"indices":[]},"median_answer_ns":0,"answered_cases":0,"voided":0,"changes":[],"change_counts":[],"voided_changes":0,"entries_read":0,"extra":1}`, false},
		{"a report row with null indices", "ReportRow", `{"state":"*","channel":"*","requests":0,"subjects_requested":0,"subjects_disclosed":0,"records_requested":0,"disclosed":0,"refused":0,"pending":0,"third_state_excluded":0,"indices":null}`, false},
	} {
		err := d.validate(t, "/components/schemas/"+tc.schema, []byte(tc.body))
		if (err == nil) != tc.ok {
			t.Errorf("%s: validation error %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// fillFirstTile makes binding decisions until the log holds 256 entries,
// so that its first full tile and entry bundle exist.
func fillFirstTile(t *testing.T, s *demoServer, vars map[string]string) {
	t.Helper()
	size, _ := strconv.Atoi(vars["size"])
	for i := size; i < 256; i++ {
		req, _ := http.NewRequest("POST", s.base+"/v1/decisions", strings.NewReader(`{"action":"access","data":{"dataset":"crm-eu"},"purpose":"commercial"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.tokens["REQUESTER"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("decision %d to fill the first tile: status %d", i, resp.StatusCode)
		}
	}
}
