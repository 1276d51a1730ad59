package policy

import (
	"fmt"
	"slices"
	"strings"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/interpreter"

	"github.com/accord-dev/accord/internal/model"
)

// evalState is the per-evaluation scratch space, pooled so that an
// evaluation allocates only what the decision itself holds. It is also the
// CEL activation: variables resolve to its fields without a map.
type evalState struct {
	req        model.Request // a copy, only when the request has no time
	reqPtr     *model.Request
	input      evalInput
	view       requestView // the value of `request`
	authorized ref.Val
	authList   strList // the value of authorized
	// Scratch for the decision's reasons, fired rule ids and obligations,
	// copied out at the end in one allocation each.
	reasons []model.Reason
	ruleIDs []string
	obls    []model.Obligation
	params  *paramSet
	vars    varSet
	// bounded is true when the input is within the sizes the compile-time
	// cost estimate assumed; the fast programs are then safe to run.
	bounded bool
	// lang and langBase are Options.Lang normalized ("fr-CA", "fr"); empty
	// for English.
	lang, langBase string
	// frame is the execution frame of the fast programs, whose scope is
	// this state: built once, kept with the pooled state.
	frame *interpreter.ExecutionFrame
}

// execFrame returns the execution frame whose activation is s. cel-go
// runs a program given a frame in it, without taking a frame from its
// pool and returning it; comprehensions push child frames of their own
// and pop them, so the frame is as it was after each program.
func (s *evalState) execFrame() (*interpreter.ExecutionFrame, error) {
	if s.frame == nil {
		f, err := interpreter.NewExecutionFrame(s)
		if err != nil {
			return nil, err
		}
		s.frame = f
	}
	return s.frame, nil
}

// ResolveName implements interpreter.Activation.
func (s *evalState) ResolveName(name string) (any, bool) {
	switch name {
	case "request":
		return &s.view, true
	case "params":
		return s.params, true
	case "variables":
		return &s.vars, true
	case "authorized":
		return s.authorized, true
	case inputVar:
		return &s.input, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (s *evalState) Parent() interpreter.Activation { return nil }

var (
	emptyList = newStrList([]string{})
	// noRequest is what a pooled state points at between evaluations.
	noRequest model.Request
)

// Evaluate decides in.Request with the engine's packs.
//
// Within a pack, and then across packs: any deny makes the outcome deny;
// otherwise any unsatisfied require makes it pending, with the
// requirements in Decision.Requires; otherwise it is allow, with the
// obligations of every obligate rule that fired. Reasons come in pack order,
// then rule order. Decision.Packs gives each evaluated pack's own outcome
// and the rules that fired in it.
//
// A rule whose evaluation fails (a runtime error, the cost limit) fails
// closed: a deny rule counts as fired, a require rule as fired and not
// satisfied, an obligate rule as fired; the reason says so. An `applies`
// expression that fails counts as true. A pack named in opts.Packs that the
// engine does not hold denies. Evaluate never panics on its input and does
// not modify it; Decision.Time is left zero for the caller to set.
func (e *Engine) Evaluate(in *Input, opts Options) model.Decision {
	dec := model.Decision{Outcome: model.Allow, Reasons: []model.Reason{}}
	if in == nil || in.Request == nil {
		dec.Outcome = model.Deny
		dec.Reasons = append(dec.Reasons, model.Reason{Rule: "accord.no-request", Effect: model.EffectDeny,
			Message: "no request to evaluate", Citation: "Accord engine"})
		return dec
	}
	s := e.pool.Get().(*evalState)
	defer func() {
		// Keep the storage of the slices, not what they refer to.
		vars, view, auth, frame := s.vars, s.view, s.authList, s.frame
		reasons, ids, obls := s.reasons, s.ruleIDs, s.obls
		clear(reasons)
		clear(ids)
		clear(obls)
		*s = evalState{}
		vars.reset(nil, nil)
		view.reset(&noRequest)
		auth.reset(nil)
		s.vars, s.view, s.authList, s.frame = vars, view, auth, frame
		s.reasons, s.ruleIDs, s.obls = reasons[:0], ids[:0], obls[:0]
		e.pool.Put(s)
	}()
	s.reqPtr = in.Request
	if in.Request.Time.IsZero() {
		s.req = *in.Request
		s.req.Time = e.now().UTC()
		s.reqPtr = &s.req
	}
	s.input = evalInput{req: s.reqPtr, history: in.History, at: s.reqPtr.Time}
	if s.input.history == nil {
		s.input.history = s.reqPtr.History
	}
	s.view.reset(s.reqPtr)
	s.authList.reset(in.Authorized)
	s.authorized = &s.authList
	s.bounded = e.boundedParams && withinBounds(s.reqPtr, s.input.history, in.Authorized)
	if opts.Lang != "" {
		s.lang, s.langBase = normalizeLang(opts.Lang)
	}

	dec.Reasons = s.reasons[:0]
	pending := false
	visit := func(cp *compiledPack, entered bool) {
		if !entered {
			s.enter(cp)
		}
		po := e.evalPack(cp, s, &dec, opts.Explain)
		dec.Packs = append(dec.Packs, po)
		switch po.Outcome {
		case model.Deny:
			dec.Outcome = model.Deny
		case model.Pending:
			pending = true
		}
	}
	if opts.Packs == nil {
		dec.Packs = make([]model.PackOutcome, 0, len(e.packs))
		for _, cp := range e.packs {
			// The variables applies computed serve the rules too.
			s.enter(cp)
			if e.applies(cp, s, &dec, opts.Explain) {
				visit(cp, true)
			}
		}
	} else {
		dec.Packs = make([]model.PackOutcome, 0, len(opts.Packs))
		for i, name := range opts.Packs {
			if slices.Contains(opts.Packs[:i], name) {
				continue // each pack once
			}
			cp, ok := e.byName[name]
			if !ok {
				dec.Outcome = model.Deny
				dec.Reasons = append(dec.Reasons, model.Reason{Rule: "accord.unknown-pack", Pack: name, Effect: model.EffectDeny,
					Message: fmt.Sprintf("pack %q is not loaded; failing closed", name), Citation: "Accord engine"})
				continue
			}
			visit(cp, false)
		}
	}
	switch {
	case dec.Outcome == model.Deny:
		dec.Requires = nil
	case pending:
		dec.Outcome = model.Pending
	default:
		dec.Requires = nil
		if len(s.obls) > 0 {
			dec.Obligations = slices.Clone(s.obls)
		}
	}
	s.finish(&dec)
	return dec
}

// finish copies the decision's reasons and fired rule ids out of the
// scratch space of s, one allocation for each, and keeps the scratch
// storage (grown, perhaps) for the next evaluation.
func (s *evalState) finish(dec *model.Decision) {
	s.reasons = dec.Reasons
	dec.Reasons = append([]model.Reason{}, dec.Reasons...) // non-nil, even when empty
	total := 0
	for i := range dec.Packs {
		total += len(dec.Packs[i].Rules)
	}
	if total == 0 {
		return
	}
	all := make([]string, 0, total)
	for i := range dec.Packs {
		po := &dec.Packs[i]
		if po.Rules == nil {
			continue
		}
		start := len(all)
		all = append(all, po.Rules...)
		po.Rules = all[start:len(all):len(all)]
	}
}

// applies evaluates the applies expression of cp (entered, see
// evalState.enter); an error counts as true.
func (e *Engine) applies(cp *compiledPack, s *evalState, dec *model.Decision, explain bool) bool {
	if cp.applies == nil {
		return true
	}
	ok, err := evalBool(cp.applies, s)
	if explain {
		t := model.Trace{Rule: "(applies)", Pack: cp.pack.Name, Fired: ok || err != nil, Result: fmt.Sprint(ok)}
		if err != nil {
			t.Result = "error: " + err.Error() + " (pack evaluated: failing closed)"
		}
		dec.Explain = append(dec.Explain, t)
	}
	return ok || err != nil
}

// enter makes cp's params and variables those of the evaluation, its
// variables not yet computed.
func (s *evalState) enter(cp *compiledPack) {
	s.params = cp.params.at(s.reqPtr.Time)
	s.vars.reset(s, cp.vars)
}

// evalPack evaluates one pack (entered, see evalState.enter), appending its reasons and requirements to
// dec, and returns its outcome and its obligations.
func (e *Engine) evalPack(cp *compiledPack, s *evalState, dec *model.Decision, explain bool) model.PackOutcome {
	po := model.PackOutcome{Pack: cp.pack.Name, Version: cp.pack.Version, Outcome: model.Allow}
	firstID := len(s.ruleIDs)
	rules := cp.rules
	if !explain {
		rules = cp.index.candidates(s.reqPtr)
	}
	for _, cr := range rules {
		r := cr.rule
		fired, err := evalBool(cr.when, s)
		if err != nil {
			fired = true // fail closed
		}
		var trace *model.Trace
		if explain {
			dec.Explain = append(dec.Explain, model.Trace{Rule: r.ID, Pack: cp.pack.Name, Fired: fired, Result: fmt.Sprint(fired)})
			trace = &dec.Explain[len(dec.Explain)-1]
			if err != nil {
				trace.Result = "error: " + err.Error() + " (failing closed)"
			}
		}
		if !fired {
			continue
		}
		s.ruleIDs = append(s.ruleIDs, r.ID)
		reason := model.Reason{Rule: r.ID, Pack: cp.pack.Name, Effect: r.Effect, Citation: r.Citation}
		if err != nil {
			reason.Message = fmt.Sprintf("rule %s could not be evaluated (%v); failing closed", r.ID, err)
		} else {
			reason.Message = cr.messageFor(s)
		}
		switch r.Effect {
		case model.EffectDeny:
			po.Outcome = model.Deny
		case model.EffectRequire:
			sat := false
			if err == nil {
				var serr error
				sat, serr = evalBool(cr.satisfied, s)
				if serr != nil {
					sat = false
					reason.Message += fmt.Sprintf(" (satisfiedBy could not be evaluated: %v; treated as not satisfied)", serr)
				}
			}
			reason.Satisfied = sat
			if trace != nil {
				if sat {
					trace.Result += " (satisfied)"
				} else {
					trace.Result += " (not satisfied)"
				}
			}
			if !sat {
				if po.Outcome != model.Deny {
					po.Outcome = model.Pending
				}
				dec.Requires = append(dec.Requires, cr.requirements(s)...)
			}
		case model.EffectObligate:
			s.obls = append(s.obls, model.Obligation{Rule: r.ID, Pack: cp.pack.Name, Message: reason.Message, Citation: r.Citation})
		}
		dec.Reasons = append(dec.Reasons, reason)
	}
	if len(s.ruleIDs) > firstID {
		// In the scratch space until finish copies it out.
		po.Rules = s.ruleIDs[firstID:]
	}
	return po
}

// normalizeLang turns a language asked for ("fr_FR.UTF-8", "fr-CA",
// "FR") into a tag and its base language ("fr-FR", "fr"); English, C and
// POSIX give "", "".
func normalizeLang(lang string) (tag, base string) {
	if i := strings.IndexAny(lang, ".@"); i >= 0 {
		lang = lang[:i]
	}
	lang = strings.ReplaceAll(strings.TrimSpace(lang), "_", "-")
	if lang == "" || lang == "C" || lang == "POSIX" {
		return "", ""
	}
	base, _, _ = strings.Cut(lang, "-")
	base = strings.ToLower(base)
	if base == "en" {
		return "", ""
	}
	if rest, ok := strings.CutPrefix(lang, lang[:len(base)]); ok {
		lang = base + rest
	}
	return lang, base
}

// messageFor renders a rule's message in the evaluation's language: the
// translation whose tag is the language asked for, else the one of its
// base language, else (or when that one fails to render) the English
// message.
func (cr *compiledRule) messageFor(s *evalState) string {
	if s.lang != "" && len(cr.langs) > 0 {
		pick := -1
		for i := range cr.langs {
			switch cr.langs[i].lang {
			case s.lang:
				pick = i
			case s.langBase:
				if pick < 0 {
					pick = i
				}
			}
		}
		if pick >= 0 {
			t := &cr.langs[pick]
			if t.message == nil {
				return t.text
			}
			if str, err := renderMessage(t.message, s); err == nil {
				return str
			}
		}
	}
	if cr.message == nil {
		return cr.rule.Message
	}
	str, err := renderMessage(cr.message, s)
	if err != nil {
		return fmt.Sprintf("rule %s fired (%v)", cr.rule.ID, err)
	}
	return str
}

// renderMessage runs a message program.
func renderMessage(p *program, s *evalState) (string, error) {
	if p == nil {
		return "", fmt.Errorf("its message did not compile")
	}
	if c := p.concat; c != nil && s.bounded {
		if f, err := s.execFrame(); err == nil {
			if str, ok := c.render(f); ok {
				return str, nil
			}
		}
	}
	out, err := p.eval(s)
	if err != nil {
		return "", fmt.Errorf("its message could not be rendered: %v", err)
	}
	str, ok := out.(types.String)
	if !ok {
		return "", fmt.Errorf("its message is a %s, not a string", out.Type().TypeName())
	}
	return string(str), nil
}

// requirements evaluates a require rule's requires block. A value that is
// empty is left out; a value that fails to evaluate yields a requirement
// naming the failure so that the decision stays pending.
func (cr *compiledRule) requirements(s *evalState) []model.Requirement {
	var out []model.Requirement
	for _, cq := range cr.requires {
		var one [1]string
		vals, err := evalStringsInto(cq.prog, s, one[:0])
		if err != nil {
			vals = []string{"(could not be evaluated: " + err.Error() + ")"}
		}
		for _, v := range vals {
			if v == "" {
				continue
			}
			req := model.Requirement{Rule: cr.rule.ID, Pack: cr.pack}
			switch cq.key {
			case "authorization_from":
				req.AuthorizationFrom = v
			case "basis":
				req.Basis = v
			case "measure":
				req.Measure = v
			}
			if !slices.Contains(out, req) {
				out = append(out, req)
			}
		}
	}
	return out
}

// evalBool runs a bool program; a non-bool result is an error.
func evalBool(p *program, s *evalState) (bool, error) {
	if p == nil {
		return false, fmt.Errorf("expression did not compile")
	}
	out, err := p.eval(s)
	if err != nil {
		return false, err
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("expression yielded %s, not bool", out.Type().TypeName())
	}
	return bool(b), nil
}

// evalStringsInto runs a program yielding a string or a list of strings;
// a single string is appended to one (so that a caller can keep it on its
// stack).
func evalStringsInto(p *program, s *evalState, one []string) ([]string, error) {
	if p == nil {
		return nil, fmt.Errorf("expression did not compile")
	}
	out, err := p.eval(s)
	if err != nil {
		return nil, err
	}
	switch v := out.(type) {
	case types.String:
		return append(one, string(v)), nil
	case traits.Lister:
		if ss, ok := stringsOf(v); ok {
			return ss, nil
		}
	}
	return nil, fmt.Errorf("expression yielded %s, not a string or a list of strings", out.Type().TypeName())
}
