package policy

import (
	"fmt"
	"reflect"
	"regexp"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"github.com/accord-dev/accord/internal/model"
)

// This file holds the fast programs' shortcuts for reading the request and
// for two kinds of constant argument; fastCalls installs them. Each gives
// the value cel-go's own plan gives, or hands over to that plan:
//
//   - fieldRead reads a field path of the request, such as
//     request.data.location, straight from the evaluation's requestView
//     instead of through cel-go's attribute resolution (a field getter
//     and a type adaptation per step, and a boxed copy of
//     request.requester at every read);
//   - matchCall runs `s.matches(re)` with a constant pattern without the
//     argument slice and the boxing of s that cel-go's call allocates;
//   - a list literal of string constants, such as the prefixes of
//     hasCategory(request.data.categories, ["personal.health"]), becomes
//     a constant strList, which Accord's functions read as a []string
//     without copying it.

// requestLeaf reads one field path of the request from its view. ok is
// false when the path cannot be read directly (an absent on_behalf_of or
// data.cii): cel-go's plan then answers, with its own error.
type requestLeaf struct {
	val func(v *requestView) (ref.Val, bool)
	// str reads a string field without boxing it; nil for other fields.
	str func(v *requestView) (string, bool)
}

// stringLeaf is the leaf of a string field of the request.
func stringLeaf(get func(v *requestView) (string, bool)) requestLeaf {
	return requestLeaf{
		val: func(v *requestView) (ref.Val, bool) {
			s, ok := get(v)
			if !ok {
				return nil, false
			}
			return internedString(s), true
		},
		str: get,
	}
}

// principalLeaves adds the leaves of a principal's string fields under
// prefix ("requester" or "on_behalf_of"); get returns nil for an absent
// principal.
func principalLeaves(m map[string]requestLeaf, prefix string, get func(r *model.Request) *model.Principal) {
	for field, f := range map[string]func(p *model.Principal) string{
		"id":           func(p *model.Principal) string { return p.ID },
		"kind":         func(p *model.Principal) string { return p.Kind },
		"role":         func(p *model.Principal) string { return p.Role },
		"jurisdiction": func(p *model.Principal) string { return p.Jurisdiction },
		"headquarters": func(p *model.Principal) string { return p.Headquarters },
		"residence":    func(p *model.Principal) string { return p.Residence },
		"employer":     func(p *model.Principal) string { return p.Employer },
	} {
		m[prefix+"."+field] = stringLeaf(func(v *requestView) (string, bool) {
			p := get(v.req)
			if p == nil {
				return "", false
			}
			return f(p), true
		})
	}
	m[prefix+".ciio"] = requestLeaf{val: func(v *requestView) (ref.Val, bool) {
		p := get(v.req)
		if p == nil {
			return nil, false
		}
		return types.Bool(p.CIIO), true
	}}
}

// requestLeaves maps a field path below `request` to its leaf. Paths not
// listed (request.time, request.requester.owners, the principal objects
// themselves, ...) keep cel-go's plan.
var requestLeaves = func() map[string]requestLeaf {
	m := map[string]requestLeaf{}
	str := func(path string, f func(r *model.Request) string) {
		m[path] = stringLeaf(func(v *requestView) (string, bool) { return f(v.req), true })
	}
	str("action", func(r *model.Request) string { return string(r.Action) })
	str("purpose", func(r *model.Request) string { return string(r.Purpose) })
	str("destination", func(r *model.Request) string { return r.Destination })
	str("transaction", func(r *model.Request) string { return r.Transaction })
	str("data.dataset", func(r *model.Request) string { return r.Data.Dataset })
	str("data.location", func(r *model.Request) string { return r.Data.Location })
	str("data.classification", func(r *model.Request) string { return r.Data.Classification })
	str("selectors.kind", func(r *model.Request) string { return r.Selectors.Kind })
	str("basis.kind", func(r *model.Request) string { return r.Basis.Kind })
	str("basis.ref", func(r *model.Request) string { return r.Basis.Ref })
	str("basis.agreement", func(r *model.Request) string { return r.Basis.Agreement })
	for field, f := range map[string]func(c *model.CII) string{
		"state":  func(c *model.CII) string { return c.State },
		"sector": func(c *model.CII) string { return c.Sector },
	} {
		m["data.cii."+field] = stringLeaf(func(v *requestView) (string, bool) {
			if v.req.Data.CII == nil {
				return "", false
			}
			return f(v.req.Data.CII), true
		})
	}
	principalLeaves(m, "requester", func(r *model.Request) *model.Principal { return &r.Requester })
	principalLeaves(m, "on_behalf_of", func(r *model.Request) *model.Principal { return r.OnBehalfOf })
	principalLeaves(m, "exporter", func(r *model.Request) *model.Principal { return r.Exporter })
	principalLeaves(m, "importer", func(r *model.Request) *model.Principal { return r.Importer })
	str("frequency", func(r *model.Request) string { return r.Frequency })
	str("recipient", func(r *model.Request) string { return r.Recipient })
	for _, field := range []string{"categories", "origin", "protections", "subjects"} {
		m["data."+field] = requestLeaf{val: func(v *requestView) (ref.Val, bool) { return v.data.field(field), true }}
	}
	m["basis.measures"] = requestLeaf{val: func(v *requestView) (ref.Val, bool) { return &v.basis.measures, true }}
	m["data.records"] = requestLeaf{val: func(v *requestView) (ref.Val, bool) { return types.Int(v.req.Data.Records), true }}
	m["data.devices"] = requestLeaf{val: func(v *requestView) (ref.Val, bool) { return types.Int(v.req.Data.Devices), true }}
	m["selectors.count"] = requestLeaf{val: func(v *requestView) (ref.Val, bool) { return types.Int(v.req.Selectors.Count), true }}
	return m
}()

// fieldRead is a read of a field path of the request (see
// requestLeaves). It stays the attribute cel-go planned, so that cel-go
// can still qualify it further or test it with has(); once it is so
// extended (stale) it only ever hands over to that attribute.
type fieldRead struct {
	interpreter.InterpretableAttribute
	leaf  requestLeaf
	stale bool
}

// AddQualifier implements interpreter.InterpretableAttribute: the path
// grows, so the leaf no longer describes it.
func (a *fieldRead) AddQualifier(q interpreter.Qualifier) (interpreter.Attribute, error) {
	a.stale = true
	return a.InterpretableAttribute.AddQualifier(q)
}

// view returns the request view when the leaf applies.
func (a *fieldRead) view(f *interpreter.ExecutionFrame) *requestView {
	if a.stale {
		return nil
	}
	// Resolved as the attribute resolves it, so that a comprehension
	// variable that shadows `request` is honoured.
	r, ok := f.ResolveName("request")
	if !ok {
		return nil
	}
	v, _ := r.(*requestView)
	return v
}

// Exec implements interpreter.InterpretableV2.
func (a *fieldRead) Exec(f *interpreter.ExecutionFrame) ref.Val {
	if v := a.view(f); v != nil {
		if out, ok := a.leaf.val(v); ok {
			return out
		}
	}
	return a.InterpretableAttribute.Exec(f)
}

// Eval implements interpreter.Interpretable.
func (a *fieldRead) Eval(act interpreter.Activation) ref.Val {
	return interpreter.EvalActivation(act, a.Exec)
}

// stringValue returns the field's string without boxing it, when the
// field is a string field and the leaf applies.
func (a *fieldRead) stringValue(f *interpreter.ExecutionFrame) (string, bool) {
	if a.leaf.str == nil {
		return "", false
	}
	v := a.view(f)
	if v == nil {
		return "", false
	}
	return a.leaf.str(v)
}

// asRequestField returns the fieldRead for an attribute that cel-go
// planned as a plain read of a listed field path of `request`, or i
// itself.
func asRequestField(i interpreter.InterpretableV2) interpreter.InterpretableV2 {
	switch r := i.(type) {
	case *fieldRead:
		// Planned again after a qualifier was added: describe it anew.
		i = r.InterpretableAttribute
	case *memberRead:
		i = r.InterpretableAttribute
	}
	ia, ok := i.(interpreter.InterpretableAttribute)
	// Only the plain read (not has(), not an optional select).
	if !ok || fmt.Sprintf("%T", ia) != "*interpreter.evalAttr" {
		return i
	}
	na, ok := ia.Attr().(interpreter.NamespacedAttribute)
	if !ok {
		return i
	}
	switch fmt.Sprintf("%T", na) {
	case "*interpreter.identAttribute", "*interpreter.absoluteAttribute":
		// Both resolve `request` by name in the activation.
	default:
		return i
	}
	names := na.CandidateVariableNames()
	if len(names) != 1 {
		return i
	}
	switch names[0] {
	case "params", "variables":
		return asMemberRead(ia, names[0], na.Qualifiers())
	case "request":
	default:
		return i
	}
	path := ""
	for _, q := range na.Qualifiers() {
		cq, ok := q.(interpreter.ConstantQualifier)
		if !ok || q.IsOptional() || fmt.Sprintf("%T", q) != "*interpreter.fieldQualifier" {
			return i
		}
		name, ok := cq.Value().(types.String)
		if !ok {
			return i
		}
		if path != "" {
			path += "."
		}
		path += string(name)
	}
	leaf, ok := requestLeaves[path]
	if !ok {
		return i
	}
	return &fieldRead{InterpretableAttribute: ia, leaf: leaf}
}

// memberRead is a read of params.NAME or variables.NAME: the field
// getter that cel-go would call, called without cel-go's attribute
// resolution around it. An error (a param not in force, a variable that
// failed) hands over to that resolution, which reports it as before.
type memberRead struct {
	interpreter.InterpretableAttribute
	name  string // params or variables
	field *types.FieldType
	stale bool
}

// asMemberRead returns the memberRead for ia, a read of params or
// variables with qualifiers quals, or ia itself.
func asMemberRead(ia interpreter.InterpretableAttribute, name string, quals []interpreter.Qualifier) interpreter.InterpretableV2 {
	if len(quals) != 1 || quals[0].IsOptional() || fmt.Sprintf("%T", quals[0]) != "*interpreter.fieldQualifier" {
		return ia
	}
	f := reflect.ValueOf(quals[0]).Elem().FieldByName("FieldType")
	if !f.IsValid() || !f.CanInterface() {
		return ia
	}
	ft, ok := f.Interface().(*types.FieldType)
	if !ok || ft == nil || ft.GetFrom == nil {
		return ia
	}
	return &memberRead{InterpretableAttribute: ia, name: name, field: ft}
}

// AddQualifier implements interpreter.InterpretableAttribute.
func (a *memberRead) AddQualifier(q interpreter.Qualifier) (interpreter.Attribute, error) {
	a.stale = true
	return a.InterpretableAttribute.AddQualifier(q)
}

// Exec implements interpreter.InterpretableV2.
func (a *memberRead) Exec(f *interpreter.ExecutionFrame) ref.Val {
	if !a.stale {
		if obj, ok := f.ResolveName(a.name); ok {
			switch obj.(type) {
			case *paramSet, *varSet:
				if v, err := a.field.GetFrom(obj); err == nil {
					if out, ok := v.(ref.Val); ok {
						return out
					}
				}
			}
		}
	}
	return a.InterpretableAttribute.Exec(f)
}

// Eval implements interpreter.Interpretable.
func (a *memberRead) Eval(act interpreter.Activation) ref.Val {
	return interpreter.EvalActivation(act, a.Exec)
}

// matchCall is s.matches(pattern) (or matches(s, pattern)) with a
// constant pattern, compiled once, as cel-go's own regex optimisation
// does; the result is the same (RE2, unanchored).
type matchCall struct {
	id  int64
	arg interpreter.InterpretableV2
	re  *regexp.Regexp
}

// newMatchCall returns the matchCall for a call of matches with a
// constant, valid pattern, or nil.
func newMatchCall(call interpreter.InterpretableCall) *matchCall {
	args := call.Args()
	if call.Function() != "matches" || len(args) != 2 {
		return nil
	}
	c, ok := args[1].(interpreter.InterpretableConst)
	if !ok {
		return nil
	}
	pattern, ok := c.Value().(types.String)
	if !ok {
		return nil
	}
	re, err := regexp.Compile(string(pattern))
	if err != nil {
		return nil // cel-go's plan reports it
	}
	return &matchCall{id: call.ID(), arg: args[0], re: re}
}

// ID implements interpreter.Interpretable.
func (c *matchCall) ID() int64 { return c.id }

// Eval implements interpreter.Interpretable.
func (c *matchCall) Eval(act interpreter.Activation) ref.Val {
	return interpreter.EvalActivation(act, c.Exec)
}

// Exec implements interpreter.InterpretableV2.
func (c *matchCall) Exec(f *interpreter.ExecutionFrame) ref.Val {
	if rf, ok := c.arg.(*fieldRead); ok {
		if s, ok := rf.stringValue(f); ok {
			return types.Bool(c.re.MatchString(s))
		}
	}
	v := c.arg.Exec(f)
	s, ok := v.(types.String)
	if !ok {
		if types.IsUnknownOrError(v) {
			return v
		}
		return types.MaybeNoSuchOverloadErr(v)
	}
	return types.Bool(c.re.MatchString(string(s)))
}

// constStringList returns a constant strList for a list literal whose
// elements are all string constants, or nil.
func constStringList(i interpreter.InterpretableV2) interpreter.InterpretableV2 {
	ctor, ok := i.(interpreter.InterpretableConstructor)
	if !ok || ctor.Type() != types.ListType {
		return nil
	}
	elems := ctor.InitVals()
	if len(elems) == 0 {
		return nil
	}
	ss := make([]string, len(elems))
	for k, e := range elems {
		c, ok := e.(interpreter.InterpretableConst)
		if !ok {
			return nil
		}
		s, ok := c.Value().(types.String)
		if !ok {
			return nil
		}
		ss[k] = string(s)
	}
	return interpreter.NewConstValue(i.ID(), newParamList(ss))
}
