package policy

import (
	"fmt"
	"io/fs"
	"math"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
)

var (
	packNameRe  = regexp.MustCompile(`^[a-z0-9-]+$`)
	ruleIDRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`)
	paramNameRe = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	// langRe is the shape of a language key: a lower-case language subtag
	// and optional subtags (script, region).
	langRe = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
)

// requireKeys are the keys a require rule's requires block may use; each
// maps onto a field of model.Requirement.
var requireKeys = []string{"authorization_from", "basis", "measure"}

// ApprovalHolder is the one value of a require rule's approval field: the
// measure the rule requires is the data holder's approval, granted through
// /v1/approvals and never written by the requester (see Rule.Approval).
const ApprovalHolder = "holder"

// Load reads the pack files at paths in fsys, one pack per file, and checks
// them: unknown keys, missing or malformed fields, duplicate rule ids
// (across all the files), unknown effects, overlapping parameter windows.
// With no paths it loads every *.yaml file at the root of fsys except
// *_test.yaml. Every error names file:line:col and, inside a rule, the
// rule id; all the problems found are reported together.
//
// Load does not compile expressions; Compile does.
func Load(fsys fs.FS, paths ...string) ([]*Pack, error) {
	if len(paths) == 0 {
		all, err := fs.Glob(fsys, "*.yaml")
		if err != nil {
			return nil, locale.Errorf("load packs: %v", err)
		}
		for _, p := range all {
			if !strings.HasSuffix(p, "_test.yaml") {
				paths = append(paths, p)
			}
		}
		if len(paths) == 0 {
			return nil, locale.Errorf("load packs: no pack files (*.yaml)")
		}
	}
	var (
		packs []*Pack
		errs  []error
	)
	for _, p := range paths {
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			errs = append(errs, locale.Errorf("load pack %s: %v", p, err))
			continue
		}
		pk, err := ParsePack(p, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		packs = append(packs, pk)
	}
	if err := checkUnique(packs); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, locale.Join(errs...)
	}
	return packs, nil
}

// checkUnique rejects two packs with the same name and two rules with the
// same id anywhere.
func checkUnique(packs []*Pack) error {
	var errs []error
	names := map[string]Pos{}
	ids := map[string]Pos{}
	for _, pk := range packs {
		if prev, ok := names[pk.Name]; ok {
			errs = append(errs, &Error{Pos: pk.Pos, Err: locale.Errorf("pack %q is already defined at %s", pk.Name, prev.String())})
		} else {
			names[pk.Name] = pk.Pos
		}
		for _, r := range pk.Rules {
			if prev, ok := ids[r.ID]; ok {
				errs = append(errs, &Error{Pos: r.Pos, Err: locale.Errorf("rule %s: id already used at %s", r.ID, prev.String())})
			} else {
				ids[r.ID] = r.Pos
			}
		}
	}
	return locale.Join(errs...)
}

// parser accumulates the errors found in one pack file.
type parser struct {
	file  string
	lines []string
	errs  []error
}

func (ps *parser) pos(n *yaml.Node) Pos { return Pos{File: ps.file, Line: n.Line, Column: n.Column} }

// report records the problem msg (a catalog message) at n, inside rule
// when rule is not "".
func (ps *parser) report(n *yaml.Node, rule string, msg error) {
	if rule != "" {
		msg = locale.Errorf("rule %s: %v", rule, msg)
	}
	ps.errs = append(ps.errs, &Error{Pos: ps.pos(n), Err: msg})
}

// ParsePack parses one pack file. name is used in error positions.
func ParsePack(name string, data []byte) (pk *Pack, err error) {
	ps := &parser{file: name, lines: strings.Split(string(data), "\n")}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, locale.Errorf("load pack %s: %v", name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, locale.Errorf("load pack %s: empty file; want a pack mapping (name, version, rules)", name)
	}
	root := doc.Content[0]
	pk = &Pack{Pos: ps.pos(root)}
	ps.parsePack(root, pk)
	if len(ps.errs) > 0 {
		return nil, locale.Join(ps.errs...)
	}
	return pk, nil
}

// field is one key/value pair of a mapping.
type field struct {
	key, val *yaml.Node
}

// fields returns the pairs of mapping n, reporting unknown and duplicate
// keys and missing required ones. allowed lists the known keys; required
// ones are prefixed with "!". what names the mapping in messages: a
// catalog message (locale.Errorf("pack")), written in the reader's
// language, or a field name (string), written as is.
func (ps *parser) fields(n *yaml.Node, rule string, what any, allowed ...string) map[string]field {
	if n.Kind != yaml.MappingNode {
		ps.report(n, rule, locale.Errorf("%s must be a mapping", what))
		return nil
	}
	known := map[string]bool{}
	var required []string
	for _, a := range allowed {
		if name, ok := strings.CutPrefix(a, "!"); ok {
			known[name] = true
			required = append(required, name)
		} else {
			known[a] = true
		}
	}
	out := map[string]field{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			ps.report(k, rule, locale.Errorf("%s: keys must be plain names", what))
			continue
		}
		if !known[k.Value] {
			ps.report(k, rule, locale.Errorf("%s: unknown key %q (known: %s)", what, k.Value, strings.Join(keysOf(known), ", ")))
			continue
		}
		if prev, dup := out[k.Value]; dup {
			ps.report(k, rule, locale.Errorf("%s: key %q repeated (first at line %s)", what, k.Value, itoa(prev.key.Line)))
			continue
		}
		out[k.Value] = field{k, v}
	}
	for _, r := range required {
		if _, ok := out[r]; !ok {
			ps.report(n, rule, locale.Errorf("%s: missing required key %q", what, r))
		}
	}
	return out
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// str returns the string value of a scalar, reporting anything else.
func (ps *parser) str(f field, rule string) string {
	if f.val == nil {
		return ""
	}
	if f.val.Kind != yaml.ScalarNode || f.val.Tag == "!!null" {
		ps.report(f.val, rule, locale.Errorf("%s must be a string", f.key.Value))
		return ""
	}
	return f.val.Value
}

// expr returns the CEL expression held by a scalar, with its position.
func (ps *parser) expr(f field, rule string) Expr {
	if f.val == nil {
		return Expr{}
	}
	n := f.val
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		ps.report(n, rule, locale.Errorf("%s must be a CEL expression (a string)", f.key.Value))
		return Expr{}
	}
	e := Expr{Source: n.Value, Pos: ps.pos(n), firstLine: n.Line, firstCol: n.Column}
	switch n.Style {
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		e.firstCol++
	case yaml.LiteralStyle, yaml.FoldedStyle:
		e.block = true
		e.firstLine = n.Line + 1
		// The content's indentation is that of its first non-blank line.
		for l := n.Line; l < len(ps.lines); l++ {
			text := ps.lines[l]
			if strings.TrimSpace(text) == "" {
				continue
			}
			e.firstLine = l + 1
			e.indent = len(text) - len(strings.TrimLeft(text, " "))
			break
		}
		e.firstCol = e.indent + 1
		if n.Style == yaml.FoldedStyle {
			e.folded = true
			for l := e.firstLine - 1; l < len(ps.lines); l++ {
				text := ps.lines[l]
				if strings.TrimSpace(text) != "" && len(text)-len(strings.TrimLeft(text, " ")) < e.indent {
					break
				}
				if len(text) >= e.indent {
					text = text[e.indent:]
				} else {
					text = ""
				}
				e.lineLens = append(e.lineLens, utf8.RuneCountInString(text))
			}
		}
	}
	if strings.TrimSpace(e.Source) == "" {
		ps.report(n, rule, locale.Errorf("%s: empty expression", f.key.Value))
	}
	return e
}

func (ps *parser) parsePack(root *yaml.Node, pk *Pack) {
	fs := ps.fields(root, "", locale.Errorf("pack"), "!name", "!version", "title", "source", "applies", "params", "variables", "!rules")
	if fs == nil {
		return
	}
	pk.Name = ps.str(fs["name"], "")
	if f, ok := fs["name"]; ok && !packNameRe.MatchString(pk.Name) {
		ps.report(f.val, "", locale.Errorf("name %q: use lower-case letters, digits and hyphens", pk.Name))
	}
	pk.Version = ps.str(fs["version"], "")
	pk.Title = ps.str(fs["title"], "")
	pk.Source = ps.str(fs["source"], "")
	if f, ok := fs["applies"]; ok {
		pk.Applies = ps.expr(f, "")
	}
	if f, ok := fs["params"]; ok {
		pk.Params = ps.parseParams(f.val)
	}
	if f, ok := fs["variables"]; ok {
		pk.Variables = ps.parseVariables(f.val)
	}
	if f, ok := fs["rules"]; ok {
		if f.val.Kind != yaml.SequenceNode {
			ps.report(f.val, "", locale.Errorf("rules must be a list"))
			return
		}
		seen := map[string]int{}
		for _, rn := range f.val.Content {
			r := ps.parseRule(rn)
			if r == nil {
				continue
			}
			if line, dup := seen[r.ID]; dup {
				ps.report(rn, r.ID, locale.Errorf("id already used at line %s", itoa(line)))
				continue
			}
			seen[r.ID] = rn.Line
			pk.Rules = append(pk.Rules, r)
		}
	}
}

func (ps *parser) parseRule(n *yaml.Node) *Rule {
	// Find the id first so that every later error can name it.
	id := ""
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "id" && n.Content[i+1].Kind == yaml.ScalarNode {
				id = n.Content[i+1].Value
			}
		}
	}
	label := id
	if label == "" {
		label = fmt.Sprintf("#line%d", n.Line)
	}
	fs := ps.fields(n, label, locale.Errorf("rule"), "!id", "!effect", "!when", "message", "messageExpression", "messages", "messageExpressions", "!citation", "requires", "satisfiedBy", "approval")
	if fs == nil {
		return nil
	}
	r := &Rule{ID: id, Pos: ps.pos(n)}
	if f, ok := fs["id"]; ok && !ruleIDRe.MatchString(id) {
		ps.report(f.val, label, locale.Errorf("id: use lower-case letters, digits, dots and hyphens"))
	}
	r.Effect = ps.str(fs["effect"], label)
	if f, ok := fs["effect"]; ok {
		switch r.Effect {
		case model.EffectDeny, model.EffectRequire, model.EffectObligate:
		default:
			ps.report(f.val, label, locale.Errorf("effect %q: want deny, require or obligate", r.Effect))
		}
	}
	r.When = ps.expr(fs["when"], label)
	r.Citation = ps.str(fs["citation"], label)
	if f, ok := fs["citation"]; ok && strings.TrimSpace(r.Citation) == "" {
		ps.report(f.val, label, locale.Errorf("citation is empty; cite the article the rule implements"))
	}
	fm, hasMsg := fs["message"]
	fx, hasExpr := fs["messageExpression"]
	switch {
	case hasMsg && hasExpr:
		ps.report(fx.key, label, locale.Errorf("give message or messageExpression, not both"))
	case hasMsg:
		r.Message = ps.str(fm, label)
		if strings.TrimSpace(r.Message) == "" {
			ps.report(fm.val, label, locale.Errorf("message is empty"))
		}
	case hasExpr:
		r.MessageExpression = ps.expr(fx, label)
	default:
		ps.report(n, label, locale.Errorf("missing message (or messageExpression)"))
	}
	r.Translations = ps.translations(fs, label)
	freq, hasReq := fs["requires"]
	fsat, hasSat := fs["satisfiedBy"]
	if r.Effect == model.EffectRequire {
		if !hasReq {
			ps.report(n, label, locale.Errorf("a require rule needs requires"))
		}
		if !hasSat {
			ps.report(n, label, locale.Errorf("a require rule needs satisfiedBy"))
		}
	} else {
		if hasReq {
			ps.report(freq.key, label, locale.Errorf("requires is only for effect: require"))
		}
		if hasSat {
			ps.report(fsat.key, label, locale.Errorf("satisfiedBy is only for effect: require"))
		}
	}
	if hasReq {
		allowed := append([]string(nil), requireKeys...)
		rf := ps.fields(freq.val, label, "requires", allowed...)
		if freq.val.Kind == yaml.MappingNode && len(freq.val.Content) == 0 {
			ps.report(freq.val, label, locale.Errorf("requires is empty; name authorization_from, basis or measure"))
		}
		// Keep file order.
		if freq.val.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(freq.val.Content); i += 2 {
				k := freq.val.Content[i].Value
				if f, ok := rf[k]; ok && f.key == freq.val.Content[i] {
					r.Requires = append(r.Requires, Requirement{Key: k, Value: ps.expr(f, label)})
				}
			}
		}
	}
	if hasSat {
		r.SatisfiedBy = ps.expr(fsat, label)
	}
	if fa, ok := fs["approval"]; ok {
		r.Approval = ps.str(fa, label)
		switch {
		case r.Approval != ApprovalHolder:
			ps.report(fa.val, label, locale.Errorf("approval %q: the only approval kind is %q (the dataset's catalogued holder)", r.Approval, ApprovalHolder))
		case r.Effect != model.EffectRequire:
			ps.report(fa.key, label, locale.Errorf("approval is only for effect: require (its requires.measure is what the holder grants)"))
		case r.ApprovalMeasure() == "":
			ps.report(fa.key, label, locale.Errorf("approval needs requires.measure to be one string literal, such as '\"customer-approval\"'"))
		}
	}
	return r
}

// ApprovalMeasure returns the measure an approval rule requires: its
// requires.measure when that is one string literal; "" for a rule without
// approval or with another kind of measure expression.
func (r *Rule) ApprovalMeasure() string {
	if r.Approval == "" {
		return ""
	}
	for _, q := range r.Requires {
		if q.Key != "measure" {
			continue
		}
		src := strings.TrimSpace(q.Value.Source)
		if len(src) < 2 || src[0] != '"' || src[len(src)-1] != '"' {
			return ""
		}
		m, err := strconv.Unquote(src)
		if err != nil || m == "" || strings.ContainsAny(m, "\"\\ \t\n") {
			return ""
		}
		return m
	}
	return ""
}

// translations reads a rule's messages (fixed text by language) and
// messageExpressions (CEL by language). A language is a BCP 47 tag other
// than English (the rule's message is the English text) and appears once
// across both.
func (ps *parser) translations(fs map[string]field, rule string) []Translation {
	var out []Translation
	seen := map[string]int{}
	for _, key := range []string{"messages", "messageExpressions"} {
		f, ok := fs[key]
		if !ok {
			continue
		}
		if f.val.Kind != yaml.MappingNode || len(f.val.Content) == 0 {
			ps.report(f.val, rule, locale.Errorf("%s must be a mapping of language to text, e.g. {fr: ...}", key))
			continue
		}
		for i := 0; i+1 < len(f.val.Content); i += 2 {
			k, v := f.val.Content[i], f.val.Content[i+1]
			lang := k.Value
			tag, err := language.Parse(lang)
			switch {
			case k.Kind != yaml.ScalarNode || err != nil || !langRe.MatchString(lang):
				ps.report(k, rule, locale.Errorf("%s: %q is not a language tag (BCP 47, e.g. fr or fr-CA)", key, lang))
				continue
			case tag == language.English || strings.HasPrefix(lang, "en-"):
				ps.report(k, rule, locale.Errorf("%s: %q: the English text is the rule's message; list other languages here", key, lang))
				continue
			}
			if line, dup := seen[lang]; dup {
				ps.report(k, rule, locale.Errorf("%s: language %q already given at line %s", key, lang, itoa(line)))
				continue
			}
			seen[lang] = k.Line
			t := Translation{Lang: lang, Pos: ps.pos(k)}
			vf := field{key: k, val: v}
			if key == "messages" {
				t.Message = ps.str(vf, rule)
				if strings.TrimSpace(t.Message) == "" {
					ps.report(v, rule, locale.Errorf("%s.%s is empty", key, lang))
					continue
				}
			} else {
				t.MessageExpression = ps.expr(vf, rule)
				if t.MessageExpression.Source == "" {
					continue
				}
			}
			out = append(out, t)
		}
	}
	return out
}

func (ps *parser) parseParams(n *yaml.Node) []*Param {
	if n.Kind != yaml.MappingNode {
		ps.report(n, "", locale.Errorf("params must be a mapping of name to a list of dated values"))
		return nil
	}
	var out []*Param
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := k.Value
		if !paramNameRe.MatchString(name) {
			ps.report(k, "", locale.Errorf("param %q: use lower-case letters, digits and underscores, starting with a letter", name))
			continue
		}
		if seen[name] {
			ps.report(k, "", locale.Errorf("param %q repeated", name))
			continue
		}
		seen[name] = true
		p := &Param{Name: name, Pos: ps.pos(k)}
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			ps.report(v, "", locale.Errorf("param %s: want a list of dated values (value, source, article, valid_from)", name))
			continue
		}
		var kind string
		ok := true
		for _, en := range v.Content {
			pv, vk, good := ps.parseParamValue(name, en)
			if !good {
				ok = false
				continue
			}
			if kind != "" && vk != kind && !(strings.HasPrefix(vk, "list") && strings.HasSuffix(kind, "empty")) && !(strings.HasSuffix(vk, "empty") && strings.HasPrefix(kind, "list")) {
				ps.report(en, "", locale.Errorf("param %s: value is %s but an earlier value is %s; all values of a param have one type", name, vk, kind))
				ok = false
				continue
			}
			if kind == "" || strings.HasSuffix(kind, "empty") {
				kind = vk
			}
			p.Values = append(p.Values, pv)
		}
		if !ok {
			continue
		}
		sort.SliceStable(p.Values, func(a, b int) bool { return p.Values[a].ValidFrom.Before(p.Values[b].ValidFrom) })
		for j := 1; j < len(p.Values); j++ {
			prev, cur := p.Values[j-1], p.Values[j]
			if prev.ValidTo.IsZero() || prev.ValidTo.After(cur.ValidFrom) {
				msg := locale.Errorf("param %s: value valid from %s overlaps the value at line %s (valid from %s to %s); close the earlier one with valid_to",
					name, day(cur.ValidFrom), itoa(prev.Pos.Line), day(prev.ValidFrom), day(prev.ValidTo))
				if prev.ValidTo.IsZero() {
					msg = locale.Errorf("param %s: value valid from %s overlaps the value at line %s (valid from %s, open-ended); close the earlier one with valid_to",
						name, day(cur.ValidFrom), itoa(prev.Pos.Line), day(prev.ValidFrom))
				}
				ps.errs = append(ps.errs, &Error{Pos: cur.Pos, Err: msg})
			}
		}
		out = append(out, p)
	}
	return out
}

func day(t time.Time) string { return t.Format("2006-01-02") }

// parseParamValue parses one dated value; kind names its type for the
// consistency check ("int", "list(string)", "list-empty").
func (ps *parser) parseParamValue(name string, n *yaml.Node) (ParamValue, string, bool) {
	what := locale.Errorf("param %s", name)
	fs := ps.fields(n, "", what, "!value", "!source", "!article", "!valid_from", "valid_to")
	if fs == nil {
		return ParamValue{}, "", false
	}
	before := len(ps.errs)
	pv := ParamValue{Pos: ps.pos(n)}
	pv.Source = ps.str(fs["source"], "")
	pv.Article = ps.str(fs["article"], "")
	if f, ok := fs["valid_from"]; ok {
		pv.ValidFrom = ps.date(f, what)
	}
	if f, ok := fs["valid_to"]; ok {
		pv.ValidTo = ps.date(f, what)
		if !pv.ValidTo.IsZero() && !pv.ValidTo.After(pv.ValidFrom) {
			ps.report(f.val, "", locale.Errorf("%s: valid_to %s is not after valid_from %s", what, day(pv.ValidTo), day(pv.ValidFrom)))
		}
	}
	var kind string
	if f, ok := fs["value"]; ok {
		pv.Value, kind = ps.paramValue(f.val, what)
	}
	return pv, kind, len(ps.errs) == before
}

// date parses a YYYY-MM-DD date (midnight UTC) or an RFC 3339 time.
func (ps *parser) date(f field, what error) time.Time {
	s := ps.str(f, "")
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC()
	}
	ps.report(f.val, "", locale.Errorf("%s: %s %q: want a date YYYY-MM-DD", what, f.key.Value, s))
	return time.Time{}
}

// paramValue converts a scalar or a list of scalars of one type.
func (ps *parser) paramValue(n *yaml.Node, what error) (any, string) {
	switch n.Kind {
	case yaml.ScalarNode:
		v, k, ok := ps.scalar(n, what)
		if !ok {
			return nil, ""
		}
		return v, k
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return []string{}, "list-empty"
		}
		var elem string
		vals := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				ps.report(c, "", locale.Errorf("%s: list items must be scalars", what))
				return nil, ""
			}
			v, k, ok := ps.scalar(c, what)
			if !ok {
				return nil, ""
			}
			if elem != "" && k != elem {
				ps.report(c, "", locale.Errorf("%s: list mixes %s and %s", what, elem, k))
				return nil, ""
			}
			elem = k
			vals = append(vals, v)
		}
		switch elem {
		case "int":
			out := make([]int64, len(vals))
			for i, v := range vals {
				out[i] = v.(int64)
			}
			return out, "list(int)"
		case "double":
			out := make([]float64, len(vals))
			for i, v := range vals {
				out[i] = v.(float64)
			}
			return out, "list(double)"
		case "bool":
			out := make([]bool, len(vals))
			for i, v := range vals {
				out[i] = v.(bool)
			}
			return out, "list(bool)"
		default:
			out := make([]string, len(vals))
			for i, v := range vals {
				out[i] = v.(string)
			}
			return out, "list(string)"
		}
	}
	ps.report(n, "", locale.Errorf("%s: value must be a scalar or a list of scalars", what))
	return nil, ""
}

func (ps *parser) scalar(n *yaml.Node, what error) (any, string, bool) {
	switch n.ShortTag() {
	case "!!int":
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil {
			ps.report(n, "", locale.Errorf("%s: %q is not a 64-bit integer", what, n.Value))
			return nil, "", false
		}
		return i, "int", true
	case "!!float":
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			ps.report(n, "", locale.Errorf("%s: %q is not a finite number", what, n.Value))
			return nil, "", false
		}
		return f, "double", true
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			ps.report(n, "", locale.Errorf("%s: %q is not a boolean", what, n.Value))
			return nil, "", false
		}
		return b, "bool", true
	case "!!null":
		ps.report(n, "", locale.Errorf("%s: value is empty", what))
		return nil, "", false
	default:
		return n.Value, "string", true
	}
}

// PackFiles returns the pack files (not test files) among names, sorted,
// keeping only base names ending in .yaml.
func PackFiles(names []string) []string {
	var out []string
	for _, n := range names {
		b := path.Base(n)
		if strings.HasSuffix(b, ".yaml") && !strings.HasSuffix(b, "_test.yaml") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

func (ps *parser) parseVariables(n *yaml.Node) []*Variable {
	if n.Kind != yaml.SequenceNode {
		ps.report(n, "", locale.Errorf("variables must be a list of {name, expression}"))
		return nil
	}
	var out []*Variable
	seen := map[string]int{}
	for _, vn := range n.Content {
		fs := ps.fields(vn, "", locale.Errorf("variable"), "!name", "!expression")
		if fs == nil {
			continue
		}
		v := &Variable{Name: ps.str(fs["name"], ""), Pos: ps.pos(vn)}
		if f, ok := fs["name"]; ok {
			if !paramNameRe.MatchString(v.Name) {
				ps.report(f.val, "", locale.Errorf("variable %q: use lower-case letters, digits and underscores, starting with a letter", v.Name))
				continue
			}
			if line, dup := seen[v.Name]; dup {
				ps.report(f.val, "", locale.Errorf("variable %q repeated (first at line %s)", v.Name, itoa(line)))
				continue
			}
			seen[v.Name] = vn.Line
		}
		if f, ok := fs["expression"]; ok {
			v.Expression = ps.expr(f, "")
		}
		out = append(out, v)
	}
	return out
}
