package policy

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
)

// TestFile is a pack's test file (<pack>_test.yaml): cases, each a request
// with the outcome and the exact rule ids the pack must give.
type TestFile struct {
	// Path names the file in errors and results.
	Path string
	// Pack is the pack the cases exercise.
	Pack string
	// Cases are the cases in file order.
	Cases []TestCase
}

// TestCase is one case of a test file.
type TestCase struct {
	// Name describes the case; by convention it cites the article.
	Name string
	// Line is where the case starts in the file.
	Line int
	// Request is the request, decoded as strictly as `accord check` does.
	Request *model.Request
	// History stands in for the server's counters; nil means none.
	History *model.History
	// Authorized lists the states whose authorization is taken as verified.
	Authorized []string
	// Outcome is the pack's expected outcome.
	Outcome model.Outcome
	// Rules are exactly the ids of the pack's rules expected to fire, in
	// any order.
	Rules []string
}

// CaseResult is the result of running one test case.
type CaseResult struct {
	// File and Line locate the case; Pack and Name identify it.
	File string `json:"file"`
	Line int    `json:"line"`
	Pack string `json:"pack"`
	Name string `json:"name"`
	// Passed is true when outcome and rule ids both matched.
	Passed bool `json:"passed"`
	// Want and Got are the expected and actual outcomes and rule ids.
	WantOutcome model.Outcome `json:"want_outcome"`
	GotOutcome  model.Outcome `json:"got_outcome"`
	WantRules   []string      `json:"want_rules"`
	GotRules    []string      `json:"got_rules"`
	// Failure says what differed, for a failed case, in English (the
	// JSON output keeps it so; see FailureText).
	Failure string `json:"failure,omitempty"`
	// failure is Failure as catalog messages.
	failure caseFailure
}

// FailureText returns Failure in p's language; "" for a case that passed.
func (r CaseResult) FailureText(p *locale.Printer) string {
	if r.failure == nil {
		return r.Failure
	}
	return r.failure.Text(p)
}

// caseFailure is what differed in a failed case: catalog messages joined
// with "; ".
type caseFailure []error

// Text returns the differences in p's language, in English when p is nil.
func (f caseFailure) Text(p *locale.Printer) string {
	parts := make([]string, len(f))
	for i, err := range f {
		parts[i] = err.Error()
		if p != nil {
			parts[i] = locale.Text(p, err)
		}
	}
	if p == nil {
		return strings.Join(parts, "; ")
	}
	return strings.Join(parts, p.Sprintf("clause separator: ; "))
}

// ParseTestFile parses a pack test file. Requests are decoded strictly
// (model.DecodeRequest with j; nil j accepts any two-letter code) after
// converting their YAML to JSON. Errors name file:line and the case.
func ParseTestFile(name string, data []byte, j model.Jurisdictions) (*TestFile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, locale.Errorf("load tests %s: %v", name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, locale.Errorf("load tests %s: empty file; want pack and cases", name)
	}
	ps := &parser{file: name}
	tf := &TestFile{Path: name}
	fs := ps.fields(doc.Content[0], "", locale.Errorf("test file"), "!pack", "!cases")
	if fs != nil {
		tf.Pack = ps.str(fs["pack"], "")
		if f, ok := fs["cases"]; ok {
			if f.val.Kind != yaml.SequenceNode {
				ps.report(f.val, "", locale.Errorf("cases must be a list"))
			} else {
				for _, cn := range f.val.Content {
					if tc, ok := ps.parseCase(cn, j); ok {
						tf.Cases = append(tf.Cases, tc)
					}
				}
			}
		}
	}
	if len(ps.errs) > 0 {
		return nil, locale.Join(ps.errs...)
	}
	return tf, nil
}

func (ps *parser) parseCase(n *yaml.Node, j model.Jurisdictions) (TestCase, bool) {
	tc := TestCase{Line: n.Line}
	before := len(ps.errs)
	label := locale.Errorf("case at line %s", itoa(n.Line))
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "name" {
				label = locale.Errorf("case %q", n.Content[i+1].Value)
			}
		}
	}
	fs := ps.fields(n, "", label, "!name", "!request", "history", "authorized", "!outcome", "!rules")
	if fs == nil {
		return tc, false
	}
	tc.Name = ps.str(fs["name"], "")
	if f, ok := fs["request"]; ok {
		data, err := yamlToJSON(f.val)
		if err != nil {
			ps.report(f.val, "", locale.Errorf("%s: request: %v", label, err))
		} else if req, err := model.DecodeRequest(data, j); err != nil {
			ps.report(f.val, "", locale.Errorf("%s: request: %v", label, err))
		} else {
			tc.Request = req
		}
	}
	if f, ok := fs["history"]; ok {
		data, err := yamlToJSON(f.val)
		if err == nil {
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			var h model.History
			if err = dec.Decode(&h); err == nil {
				tc.History = &h
			}
		}
		if err != nil {
			ps.report(f.val, "", locale.Errorf("%s: history: %v", label, err))
		}
	}
	if f, ok := fs["authorized"]; ok {
		tc.Authorized = ps.strings(f, label)
	}
	if f, ok := fs["outcome"]; ok {
		tc.Outcome = model.Outcome(ps.str(f, ""))
		switch tc.Outcome {
		case model.Allow, model.Deny, model.Pending:
		default:
			ps.report(f.val, "", locale.Errorf("%s: outcome %q: want allow, deny or pending", label, tc.Outcome))
		}
	}
	if f, ok := fs["rules"]; ok {
		tc.Rules = ps.strings(f, label)
		if tc.Rules == nil {
			tc.Rules = []string{}
		}
	}
	return tc, len(ps.errs) == before
}

// strings reads a list of strings.
func (ps *parser) strings(f field, label error) []string {
	if f.val.Kind != yaml.SequenceNode {
		ps.report(f.val, "", locale.Errorf("%s: %s must be a list", label, f.key.Value))
		return nil
	}
	out := []string{}
	for _, c := range f.val.Content {
		if c.Kind != yaml.ScalarNode {
			ps.report(c, "", locale.Errorf("%s: %s: items must be strings", label, f.key.Value))
			continue
		}
		out = append(out, c.Value)
	}
	return out
}

// yamlToJSON converts a YAML value to JSON so that the strict JSON decoder
// of the model judges it.
func yamlToJSON(n *yaml.Node) ([]byte, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	v, err := jsonable(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// jsonable turns YAML-decoded values into values encoding/json accepts.
func jsonable(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			c, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			x[k] = c
		}
		return x, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ks, ok := k.(string)
			if !ok {
				return nil, locale.Errorf("mapping key %v is not a string", k)
			}
			c, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			out[ks] = c
		}
		return out, nil
	case []any:
		for i, e := range x {
			c, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
		return x, nil
	}
	return v, nil
}

// RunTests runs every case of the test file at path in fsys against the
// engine, each case evaluating only the file's pack. It returns one result
// per case; the error is for a file that cannot be read or parsed, or
// names a pack the engine does not hold.
func RunTests(e *Engine, fsys fs.FS, path string) ([]CaseResult, error) {
	data, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, locale.Errorf("load tests %s: %v", path, err)
	}
	var j model.Jurisdictions
	if e.reg != nil {
		j = e.reg
	}
	tf, err := ParseTestFile(path, data, j)
	if err != nil {
		return nil, err
	}
	return e.RunTestFile(tf)
}

// RunTestFile runs the cases of a parsed test file.
func (e *Engine) RunTestFile(tf *TestFile) ([]CaseResult, error) {
	if _, ok := e.byName[tf.Pack]; !ok {
		return nil, locale.Errorf("%s: pack %q is not loaded", tf.Path, tf.Pack)
	}
	opts := Options{Packs: []string{tf.Pack}}
	out := make([]CaseResult, 0, len(tf.Cases))
	for _, tc := range tf.Cases {
		dec := e.Evaluate(&Input{Request: tc.Request, History: tc.History, Authorized: tc.Authorized}, opts)
		res := CaseResult{File: tf.Path, Line: tc.Line, Pack: tf.Pack, Name: tc.Name,
			WantOutcome: tc.Outcome, WantRules: tc.Rules, GotRules: []string{}}
		for _, po := range dec.Packs {
			if po.Pack == tf.Pack {
				res.GotOutcome = po.Outcome
				res.GotRules = append(res.GotRules, po.Rules...)
			}
		}
		res.failure = compareCase(res)
		if res.failure != nil {
			res.Failure = res.failure.Text(nil)
		}
		res.Passed = res.failure == nil
		out = append(out, res)
	}
	return out, nil
}

// compareCase describes how a result differs from what the case expects;
// nil when it does not.
func compareCase(r CaseResult) caseFailure {
	var parts caseFailure
	if r.GotOutcome != r.WantOutcome {
		parts = append(parts, locale.Errorf("outcome %s, want %s", r.GotOutcome, r.WantOutcome))
	}
	var missing, extra []string
	for _, w := range r.WantRules {
		if !slices.Contains(r.GotRules, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range r.GotRules {
		if !slices.Contains(r.WantRules, g) {
			extra = append(extra, g)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		parts = append(parts, locale.Errorf("did not fire: %s", strings.Join(missing, ", ")))
	}
	if len(extra) > 0 {
		parts = append(parts, locale.Errorf("fired unexpectedly: %s", strings.Join(extra, ", ")))
	}
	return parts
}
