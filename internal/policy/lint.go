package policy

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"

	"github.com/accord-dev/accord/internal/locale"
)

// Finding is one thing Lint found in a pack that compiles but is probably
// wrong.
type Finding struct {
	// Pos is where the problem is written.
	Pos Pos `json:"pos"`
	// Pack and Rule name the pack and, for a rule's problem, the rule.
	Pack string `json:"pack"`
	Rule string `json:"rule,omitempty"`
	// Msg says what is probably wrong and what to do, in English.
	Msg string `json:"message"`
	// msg is Msg as a catalog message, for Text; nil in a Finding made
	// elsewhere, which then prints Msg.
	msg error
}

// String formats the finding as file:line:col: [rule X: ]message.
func (f Finding) String() string {
	s := f.Pos.String() + ": "
	if f.Rule != "" {
		s += "rule " + f.Rule + ": "
	}
	return s + f.Msg
}

// Text formats the finding as String does, the position unchanged and the
// message in p's language.
func (f Finding) Text(p *locale.Printer) string {
	var msg error = f.msg
	if msg == nil {
		msg = errors.New(f.Msg)
	}
	if f.Rule != "" {
		msg = locale.Errorf("rule %s: %v", f.Rule, msg)
	}
	return f.Pos.String() + ": " + locale.Text(p, msg)
}

var literalParser, _ = cel.NewEnv()

// Lint looks for what compiles but is likely wrong in the engine's packs:
// a number other than 0 or 1 written into an expression (thresholds belong
// in params, dated and cited), a parameter no expression uses, a rule id
// not prefixed with its pack's name, a pack without title or source, a pack
// without a test file among tests, a rule that no case of its pack's
// test file makes fire, a rule without a French message (messages or
// messageExpressions), and a deny or require rule that reads an optional
// field without has() and stops firing when a firing case leaves it out
// (see lintOptional).
func Lint(e *Engine, tests []*TestFile) []Finding {
	var out []Finding
	testsOf := map[string][]*TestFile{}
	for _, tf := range tests {
		testsOf[tf.Pack] = append(testsOf[tf.Pack], tf)
	}
	for _, cp := range e.packs {
		pk := cp.pack
		add := func(pos Pos, rule string, msg error) {
			out = append(out, Finding{Pos: pos, Pack: pk.Name, Rule: rule, Msg: msg.Error(), msg: msg})
		}
		if strings.TrimSpace(pk.Title) == "" {
			add(pk.Pos, "", locale.Errorf("pack %s has no title", pk.Name))
		}
		if strings.TrimSpace(pk.Source) == "" {
			add(pk.Pos, "", locale.Errorf("pack %s has no source (the legal text it encodes)", pk.Name))
		}
		exprs := packExprs(pk)
		for _, p := range pk.Params {
			used := regexp.MustCompile(`\bparams\s*\.\s*` + regexp.QuoteMeta(p.Name) + `\b`)
			if !slices.ContainsFunc(exprs, func(x Expr) bool { return used.MatchString(x.Source) }) {
				add(p.Pos, "", locale.Errorf("param %s is not used by any expression", p.Name))
			}
		}
		for i, v := range pk.Variables {
			used := regexp.MustCompile(`\bvariables\s*\.\s*` + regexp.QuoteMeta(v.Name) + `\b`)
			if !slices.ContainsFunc(exprs, func(x Expr) bool { return x.Pos != v.Expression.Pos && used.MatchString(x.Source) }) {
				add(v.Pos, "", locale.Errorf("variable %s is not used by any expression", v.Name))
			}
			if lits := numberLiterals(pk.Variables[i].Expression.Source); len(lits) > 0 {
				add(v.Expression.Pos, "", locale.Errorf("variables.%s: number %s in an expression: put thresholds in params, dated and cited", v.Name, strings.Join(lits, ", ")))
			}
		}
		for _, r := range pk.Rules {
			if !strings.HasPrefix(r.ID, pk.Name+"-") && !strings.HasPrefix(r.ID, pk.Name+".") {
				add(r.Pos, r.ID, locale.Errorf("id should start with the pack name %q", pk.Name+"-"))
			}
			if !hasLanguage(r, "fr") {
				add(r.Pos, r.ID, locale.Errorf("no French message: add messages: {fr: ...} (or messageExpressions: {fr: ...} for a CEL message); users who read French get the English text"))
			}
			for _, x := range []Expr{r.When, r.SatisfiedBy} {
				if lits := numberLiterals(x.Source); len(lits) > 0 {
					add(x.Pos, r.ID, locale.Errorf("number %s in an expression: put thresholds in params, dated and cited", strings.Join(lits, ", ")))
				}
			}
		}
		tfs := testsOf[pk.Name]
		if len(tfs) == 0 {
			add(pk.Pos, "", locale.Errorf("pack %s has no test file (%s_test.yaml)", pk.Name, pk.Name))
			continue
		}
		fired := map[string]bool{}
		for _, tf := range tfs {
			res, err := e.RunTestFile(tf)
			if err != nil {
				continue
			}
			for _, r := range res {
				for _, id := range r.GotRules {
					fired[id] = true
				}
			}
		}
		for _, r := range pk.Rules {
			if !fired[r.ID] {
				add(r.Pos, r.ID, locale.Errorf("no test case makes this rule fire"))
			}
		}
		lintOptional(e, pk, tfs, add)
	}
	return out
}

// hasLanguage reports whether the rule has a translation in the base
// language lang ("fr" is met by "fr" or "fr-CA").
func hasLanguage(r *Rule, lang string) bool {
	return slices.ContainsFunc(r.Translations, func(t Translation) bool {
		base, _, _ := strings.Cut(t.Lang, "-")
		return base == lang
	})
}

// packExprs lists every expression of a pack.
func packExprs(pk *Pack) []Expr {
	out := []Expr{pk.Applies}
	for _, v := range pk.Variables {
		out = append(out, v.Expression)
	}
	for _, r := range pk.Rules {
		out = append(out, r.When, r.MessageExpression, r.SatisfiedBy)
		for _, t := range r.Translations {
			out = append(out, t.MessageExpression)
		}
		for _, q := range r.Requires {
			out = append(out, q.Value)
		}
	}
	return out
}

// numberLiterals returns the numeric literals of an expression other than
// 0 and 1 (counting and comparing with zero or one is not a threshold).
func numberLiterals(src string) []string {
	if src == "" || literalParser == nil {
		return nil
	}
	parsed, iss := literalParser.Parse(src)
	if iss != nil && iss.Err() != nil {
		return nil
	}
	var out []string
	index := map[int64]bool{} // literals used as list indexes are not thresholds
	ast.PreOrderVisit(parsed.NativeRep().Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() == ast.CallKind && e.AsCall().FunctionName() == "_[_]" && len(e.AsCall().Args()) == 2 {
			index[e.AsCall().Args()[1].ID()] = true
		}
		if e.Kind() != ast.LiteralKind || index[e.ID()] {
			return
		}
		s := ""
		switch v := e.AsLiteral().(type) {
		case types.Int:
			if v != 0 && v != 1 {
				s = fmt.Sprint(int64(v))
			}
		case types.Uint:
			if v != 0 && v != 1 {
				s = fmt.Sprint(uint64(v))
			}
		case types.Double:
			if v != 0 && v != 1 {
				s = fmt.Sprint(float64(v))
			}
		}
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}))
	return out
}
