package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
)

// Engine holds compiled packs. Evaluate is safe for concurrent use; the
// engine is immutable after Compile.
type Engine struct {
	packs  []*compiledPack
	byName map[string]*compiledPack
	reg    Registry
	pool   sync.Pool
	// adapter turns Go values into CEL values (the native type registry).
	adapter types.Adapter
	// boundedParams is true when every param value is within the sizes
	// the cost estimate assumes, so that fast programs may run.
	boundedParams bool
	// now gives the time used for a request without one; tests replace it.
	now func() time.Time
	// approvals maps each approval measure to the rules requiring it.
	approvals map[string][]string
}

// compiledPack is a pack with its programs.
type compiledPack struct {
	pack    *Pack
	applies *program // nil: always applies
	params  *paramTable
	vars    []*program // by variable index
	rules   []*compiledRule
	index   ruleIndex
}

// compiledRule is a rule with its programs.
type compiledRule struct {
	rule    *Rule
	pack    string
	when    *program
	message *program // nil when the message is fixed
	// langs are the rule's translations, in file order.
	langs     []compiledTranslation
	satisfied *program // require only
	requires  []compiledRequirement
	// actions and purposes, when not nil, are the only request actions
	// (purposes) for which `when` can be true, read off its top-level
	// conjuncts at compile time.
	actions, purposes []string
}

// compiledTranslation is a rule's message in one more language: a fixed
// text, or a program when message is not nil.
type compiledTranslation struct {
	lang    string
	text    string
	message *program
}

type compiledRequirement struct {
	key  string
	prog *program
}

// program is one compiled expression in two forms. Compile proved, with
// the checker's cost estimate, that the expression costs at most CostLimit
// on any input within the sizes the estimate assumes (maxCollection,
// maxString, maxPayload); for such an input (the usual case) fast runs
// without counting. For an input beyond those sizes guarded runs with the
// runtime cost limit, which stops it at CostLimit. Both are immutable and
// safe for concurrent use.
type program struct {
	fast, guarded cel.Program
	// concat is the root of the fast program when it is a concatenation
	// (a messageExpression), which messageFor renders without cel-go's
	// Eval around it.
	concat *concatCall
	// root is the root of the fast program's plan, which eval runs in the
	// evaluation's frame without cel-go's Eval around it (its deferred
	// cost-tracker capture and result wrapping cost more than many of
	// the expressions; a panic is still recovered, as Eval does).
	root interpreter.InterpretableV2
}

// eval runs the form that fits the evaluation's input. The fast form runs
// in the evaluation's execution frame (see evalState.execFrame) rather
// than in one taken from cel-go's pool for each expression.
func (p *program) eval(s *evalState) (ref.Val, error) {
	if !s.bounded {
		out, _, err := p.guarded.Eval(s)
		return out, err
	}
	f, err := s.execFrame()
	if err != nil {
		out, _, err := p.fast.Eval(s)
		return out, err
	}
	if p.root != nil {
		return p.exec(f)
	}
	out, _, err := p.fast.Eval(f)
	return out, err
}

// exec runs the fast program's root in f, as cel-go's Eval does for a
// program without observers: a CEL error value is returned as the error,
// and a panic becomes an error rather than escaping.
func (p *program) exec(f *interpreter.ExecutionFrame) (out ref.Val, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("internal error: %v", r)
		}
	}()
	out = p.root.Exec(f)
	if e, ok := out.(*types.Err); ok {
		return out, e
	}
	return out, nil
}

// Compile type-checks and compiles every expression of packs against the
// CEL environment (the typed request, params, authorized and Accord's
// functions, bound to reg). It rejects any expression whose estimated cost
// may exceed CostLimit. Errors name file:line:col of the offending place
// inside the expression and the rule id; all are reported together.
//
// reg may be nil only for packs that call no registry function; such calls
// then fail at run time (and fail closed).
func Compile(packs []*Pack, reg Registry) (*Engine, error) {
	base, err := newBaseEnv(reg)
	if err != nil {
		return nil, locale.Errorf("compile packs: build CEL environment: %v", err)
	}
	if err := checkUnique(packs); err != nil {
		return nil, err
	}
	e := &Engine{byName: map[string]*compiledPack{}, reg: reg, now: time.Now, adapter: base.CELTypeAdapter(), boundedParams: true}
	e.pool.New = func() any { return new(evalState) }
	fast := fastCalls(&functions{reg: reg})
	var errs []error
	for _, pk := range packs {
		cp, err := compilePack(base, pk, fast)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		e.packs = append(e.packs, cp)
		if !paramsBounded(pk) {
			e.boundedParams = false
		}
		e.byName[pk.Name] = cp
	}
	if len(errs) > 0 {
		return nil, locale.Join(errs...)
	}
	e.approvals = map[string][]string{}
	for _, cp := range e.packs {
		for _, r := range cp.pack.Rules {
			if m := r.ApprovalMeasure(); m != "" {
				e.approvals[m] = append(e.approvals[m], r.ID)
			}
		}
	}
	return e, nil
}

// Packs returns the compiled packs, in evaluation order.
func (e *Engine) Packs() []*Pack {
	out := make([]*Pack, len(e.packs))
	for i, cp := range e.packs {
		out[i] = cp.pack
	}
	return out
}

// Pack returns the compiled pack named name.
func (e *Engine) Pack(name string) (*Pack, bool) {
	cp, ok := e.byName[name]
	if !ok {
		return nil, false
	}
	return cp.pack, true
}

// ApprovalMeasures returns the measures that require rules mark as an
// approval (Rule.Approval), each with the ids of the rules that require it,
// in pack then rule order. These measures are server-owned: only an
// approval granted by the data holder puts them in a binding request.
// The map is shared: callers must not change it.
func (e *Engine) ApprovalMeasures() map[string][]string { return e.approvals }

// Registry returns the registry the engine was compiled with.
func (e *Engine) Registry() Registry { return e.reg }

// compiler compiles the expressions of one pack, collecting errors.
type compiler struct {
	env  *cel.Env
	pack *Pack
	errs []error
	// fast holds the program options of the fast programs only.
	fast cel.ProgramOption
}

func compilePack(base *cel.Env, pk *Pack, fast cel.ProgramOption) (*compiledPack, error) {
	table, err := newParamTable(pk.Params)
	if err != nil {
		return nil, err
	}
	suffix := strings.ReplaceAll(pk.Name, "-", "_")
	typeName, varsName := "accord.params."+suffix, "accord.variables."+suffix
	vp := newVarsProvider(newParamsProvider(base.CELTypeProvider(), typeName, table), varsName)
	env, err := base.Extend(
		cel.CustomTypeProvider(vp),
		cel.Variable("params", cel.ObjectType(typeName)),
		cel.Variable("variables", cel.ObjectType(varsName)),
	)
	if err != nil {
		return nil, locale.Errorf("compile pack %s: params: %v", pk.Name, err)
	}
	c := &compiler{env: env, pack: pk, fast: fast}
	cp := &compiledPack{pack: pk, params: table}
	for i, v := range pk.Variables {
		prog, checked := c.compile(v.Expression, "", "variables."+v.Name, cel.DynType)
		t := cel.DynType
		if checked != nil {
			t = checked.OutputType()
		}
		// Declared after compiling: a variable sees only those before it.
		vp.add(i, v.Name, t)
		cp.vars = append(cp.vars, prog)
	}
	if pk.Applies.Source != "" {
		cp.applies, _ = c.compile(pk.Applies, "", "applies", cel.BoolType)
	}
	for _, r := range pk.Rules {
		cr := &compiledRule{rule: r, pack: pk.Name}
		var checked *cel.Ast
		cr.when, checked = c.compile(r.When, r.ID, "when", cel.BoolType)
		if checked != nil {
			cr.actions, cr.purposes = indexKeys(checked)
		}
		if r.MessageExpression.Source != "" {
			cr.message, _ = c.compile(r.MessageExpression, r.ID, "messageExpression", cel.StringType)
		}
		for _, t := range r.Translations {
			ct := compiledTranslation{lang: t.Lang, text: t.Message}
			if t.MessageExpression.Source != "" {
				ct.message, _ = c.compile(t.MessageExpression, r.ID, "messageExpressions."+t.Lang, cel.StringType)
			}
			cr.langs = append(cr.langs, ct)
		}
		if r.Effect == model.EffectRequire {
			cr.satisfied, _ = c.compile(r.SatisfiedBy, r.ID, "satisfiedBy", cel.BoolType)
			for _, req := range r.Requires {
				p, _ := c.compile(req.Value, r.ID, "requires."+req.Key, nil)
				cr.requires = append(cr.requires, compiledRequirement{key: req.Key, prog: p})
			}
		}
		cp.rules = append(cp.rules, cr)
	}
	if len(c.errs) > 0 {
		return nil, locale.Join(c.errs...)
	}
	cp.index = buildIndex(cp.rules)
	return cp, nil
}

// report records the problem msg (a catalog message, or a library's
// error) found at pos in the expression what of rule, or of the pack when
// rule is "".
func (c *compiler) report(pos Pos, rule, what string, msg error) {
	if rule != "" {
		msg = locale.Errorf("rule %s: %s: %v", rule, what, msg)
	} else {
		msg = locale.Errorf("pack %s: %s: %v", c.pack.Name, what, msg)
	}
	c.errs = append(c.errs, &Error{Pos: pos, Err: msg})
}

// compile compiles one expression. want is the required output type; nil
// means a string or a list of strings (requires values).
func (c *compiler) compile(x Expr, rule, what string, want *cel.Type) (*program, *cel.Ast) {
	if x.Source == "" {
		return nil, nil
	}
	checked, iss := c.env.Compile(x.Source)
	if iss != nil && iss.Err() != nil {
		for _, e := range iss.Errors() {
			pos := x.position(e.Location.Line(), e.Location.Column())
			c.report(pos, rule, what, errors.New(e.Message))
		}
		return nil, nil
	}
	out := checked.OutputType()
	switch {
	case want == nil:
		if !out.IsExactType(cel.StringType) && !out.IsExactType(cel.ListType(cel.StringType)) && !out.IsExactType(cel.DynType) {
			c.report(x.Pos, rule, what, locale.Errorf("must yield a string or a list of strings, not %s", out))
			return nil, nil
		}
	case want == cel.DynType:
		// a variable: any type
	case !out.IsExactType(want) && !out.IsExactType(cel.DynType):
		c.report(x.Pos, rule, what, locale.Errorf("must yield %s, not %s", want, out))
		return nil, nil
	}
	est, err := c.env.EstimateCost(checked, sizeEstimator{})
	if err != nil {
		c.report(x.Pos, rule, what, locale.Errorf("estimate cost: %v", err))
		return nil, nil
	}
	if est.Max > CostLimit {
		c.report(x.Pos, rule, what, locale.Errorf("estimated cost up to %s exceeds the limit of %s (iterating over request data in nested loops, or over a list built in the expression, can cost this much); simplify the expression", costString(est.Max), itoa(CostLimit)))
		return nil, nil
	}
	opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	// The planner decorates the nodes bottom up: the last node decorated
	// is the root.
	var root interpreter.InterpretableV2
	if c.fast != nil {
		opts = append(opts, c.fast, cel.CustomDecoratorV2(func(i interpreter.InterpretableV2) (interpreter.InterpretableV2, error) {
			root = i
			return i, nil
		}))
	}
	fast, err := c.env.Program(checked, opts...)
	if err != nil {
		c.report(x.Pos, rule, what, err)
		return nil, nil
	}
	guarded, err := c.env.Program(checked, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(CostLimit))
	if err != nil {
		c.report(x.Pos, rule, what, err)
		return nil, nil
	}
	concat, _ := root.(*concatCall)
	return &program{fast: fast, guarded: guarded, concat: concat, root: root}, checked
}

func costString(n uint64) string {
	if n == ^uint64(0) {
		return "unbounded"
	}
	return fmt.Sprint(n)
}

// sizeEstimator gives the cost estimator bounds for data it cannot see:
// request fields, params, authorized and the lists Accord's functions
// return.
type sizeEstimator struct{}

// EstimateSize implements cost.Estimator.
func (sizeEstimator) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	if n.ComputedSize() != nil {
		return nil
	}
	switch n.Type().Kind() {
	case types.ListKind, types.MapKind:
		return &cost.SizeEstimate{Min: 0, Max: maxCollection}
	case types.StringKind, types.BytesKind:
		if slices.Contains(n.Path(), "authorizations") {
			return &cost.SizeEstimate{Min: 0, Max: maxPayload}
		}
		return &cost.SizeEstimate{Min: 0, Max: maxString}
	}
	return nil
}

// EstimateCallCost implements cost.Estimator.
func (sizeEstimator) EstimateCallCost(function, overloadID string, target *cost.AstNode, args []cost.AstNode) *cost.CallEstimate {
	switch overloadID {
	case "statesOf_map", "agreementParties_string":
		return &cost.CallEstimate{
			CostEstimate: cost.CostEstimate{Min: 1, Max: maxCollection},
			ResultSize:   &cost.SizeEstimate{Min: 0, Max: maxCollection},
		}
	case "actingState_request", "stateBehind_request", "destinationOf_request", "controlledBy_principal", "controlledBy_null":
		return &cost.CallEstimate{
			CostEstimate: cost.CostEstimate{Min: 1, Max: 1},
			ResultSize:   &cost.SizeEstimate{Min: 0, Max: maxString},
		}
	case "subjectTo_principal", "subjectTo_null":
		return &cost.CallEstimate{
			CostEstimate: cost.CostEstimate{Min: 1, Max: 3},
			ResultSize:   &cost.SizeEstimate{Min: 0, Max: 3},
		}
	case "personalData_request":
		return &cost.CallEstimate{CostEstimate: cost.CostEstimate{Min: 1, Max: maxCollection * 2}}
	case "cumulativePeople_at":
		return &cost.CallEstimate{CostEstimate: cost.CostEstimate{Min: 1, Max: maxCollection}}
	case "total_map", "hasPersonal_list", "sumOf_map_double_list", "sumOf_map_int_list":
		return &cost.CallEstimate{CostEstimate: cost.CostEstimate{Min: 1, Max: maxCollection}}
	case "hasCategory_list_list":
		return &cost.CallEstimate{CostEstimate: cost.CostEstimate{Min: 1, Max: maxCollection * 4}}
	case "cumulative_at", "cumulativeDevices_at", "cumulativeByPair_at", "cumulativeByExporter_at", "cumulativeDevicesByPair_at":
		return &cost.CallEstimate{CostEstimate: cost.CostEstimate{Min: 1, Max: maxCollection * 4}}
	case "cumulative_list_at", "cumulativeByPair_list_at", "cumulativeByExporter_list_at":
		return &cost.CallEstimate{CostEstimate: cost.CostEstimate{Min: 1, Max: maxCollection * 16}}
	case "agreementAuthorizes_at":
		return &cost.CallEstimate{CostEstimate: cost.CostEstimate{Min: 1, Max: maxCollection * 2}}
	}
	return nil
}

// ruleIndex lists, for every (action, purpose) pair, the rules whose
// `when` can be true for it, in rule order. Actions and purposes outside
// model.Actions and model.Purposes (and the empty purpose) share the last
// column, where only rules without a constraint on them appear.
type ruleIndex struct {
	rules [][]*compiledRule
}

var (
	actionCol  = columns(model.Actions)
	purposeCol = columns(model.Purposes)
)

func columns[T ~string](vals []T) map[string]int {
	m := make(map[string]int, len(vals))
	for i, v := range vals {
		m[string(v)] = i
	}
	return m
}

func col(m map[string]int, v string) int {
	if i, ok := m[v]; ok {
		return i
	}
	return len(m)
}

func buildIndex(rules []*compiledRule) ruleIndex {
	na, np := len(actionCol)+1, len(purposeCol)+1
	idx := ruleIndex{rules: make([][]*compiledRule, na*np)}
	for a := range na {
		for p := range np {
			var list []*compiledRule
			for _, r := range rules {
				if allows(r.actions, actionCol, a) && allows(r.purposes, purposeCol, p) {
					list = append(list, r)
				}
			}
			idx.rules[a*np+p] = list
		}
	}
	return idx
}

func allows(vals []string, cols map[string]int, c int) bool {
	if vals == nil {
		return true
	}
	for _, v := range vals {
		if cols[v] == c {
			return true
		}
	}
	return false
}

// candidates returns the rules that can fire for req.
func (ix ruleIndex) candidates(req *model.Request) []*compiledRule {
	np := len(purposeCol) + 1
	return ix.rules[col(actionCol, string(req.Action))*np+col(purposeCol, string(req.Purpose))]
}

// indexKeys reads the top-level conjuncts of a checked `when` expression
// and returns the actions and purposes it is limited to (nil: any). Only
// conjuncts of the forms request.action == "x" and request.action in
// ["x", "y"] (likewise purpose) count; a value outside the model's list
// disables the index for that field, so the index never hides a rule that
// could fire.
func indexKeys(checked *cel.Ast) (actions, purposes []string) {
	var conj []ast.Expr
	var walk func(e ast.Expr)
	walk = func(e ast.Expr) {
		if e.Kind() == ast.CallKind && e.AsCall().FunctionName() == "_&&_" {
			for _, a := range e.AsCall().Args() {
				walk(a)
			}
			return
		}
		conj = append(conj, e)
	}
	walk(checked.NativeRep().Expr())
	var aSet, pSet []string
	aBad, pBad := false, false
	for _, e := range conj {
		field, vals, ok := fieldConstraint(e)
		if !ok {
			continue
		}
		switch field {
		case "action":
			if !known(vals, actionCol) {
				aBad = true
			}
			aSet = intersect(aSet, vals)
		case "purpose":
			if !known(vals, purposeCol) {
				pBad = true
			}
			pSet = intersect(pSet, vals)
		}
	}
	if aBad {
		aSet = nil
	}
	if pBad {
		pSet = nil
	}
	return aSet, pSet
}

func known(vals []string, cols map[string]int) bool {
	for _, v := range vals {
		if _, ok := cols[v]; !ok {
			return false
		}
	}
	return true
}

// intersect narrows a (nil: unconstrained) by b; the result is non-nil.
func intersect(a, b []string) []string {
	if a == nil {
		return append([]string{}, b...)
	}
	out := []string{}
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
				break
			}
		}
	}
	return out
}

// fieldConstraint recognises request.<field> == "lit", "lit" ==
// request.<field> and request.<field> in ["a", "b"].
func fieldConstraint(e ast.Expr) (field string, vals []string, ok bool) {
	if e.Kind() != ast.CallKind {
		return "", nil, false
	}
	call := e.AsCall()
	args := call.Args()
	if len(args) != 2 {
		return "", nil, false
	}
	switch call.FunctionName() {
	case "_==_":
		if f, ok := requestField(args[0]); ok {
			if s, ok := stringLit(args[1]); ok {
				return f, []string{s}, true
			}
		}
		if f, ok := requestField(args[1]); ok {
			if s, ok := stringLit(args[0]); ok {
				return f, []string{s}, true
			}
		}
	case "@in":
		f, ok := requestField(args[0])
		if !ok || args[1].Kind() != ast.ListKind {
			return "", nil, false
		}
		list := args[1].AsList()
		if len(list.OptionalIndices()) > 0 {
			return "", nil, false
		}
		out := []string{}
		for _, el := range list.Elements() {
			s, ok := stringLit(el)
			if !ok {
				return "", nil, false
			}
			out = append(out, s)
		}
		return f, out, true
	}
	return "", nil, false
}

// requestField recognises request.action and request.purpose.
func requestField(e ast.Expr) (string, bool) {
	if e.Kind() != ast.SelectKind {
		return "", false
	}
	sel := e.AsSelect()
	if sel.IsTestOnly() {
		return "", false
	}
	op := sel.Operand()
	if op.Kind() != ast.IdentKind || op.AsIdent() != "request" {
		return "", false
	}
	switch sel.FieldName() {
	case "action", "purpose":
		return sel.FieldName(), true
	}
	return "", false
}

func stringLit(e ast.Expr) (string, bool) {
	if e.Kind() != ast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

// paramsBounded reports whether a pack's param values fit the sizes the
// cost estimate assumes.
func paramsBounded(pk *Pack) bool {
	for _, p := range pk.Params {
		for _, v := range p.Values {
			switch x := v.Value.(type) {
			case string:
				if !str(x) {
					return false
				}
			case []string:
				if !strs(x) {
					return false
				}
			case []int64:
				if len(x) > maxCollection {
					return false
				}
			case []float64:
				if len(x) > maxCollection {
					return false
				}
			case []bool:
				if len(x) > maxCollection {
					return false
				}
			}
		}
	}
	return true
}
