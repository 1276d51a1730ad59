package policy

import (
	"slices"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/accord-dev/accord/internal/model"
)

// The functions in this file read facts of a request that a label cannot
// change: who owns or controls a party, which states can compel it, where
// data read in place really goes, whether data with people in it is
// personal. Packs use them so that an author cannot forget a party's
// owners or headquarters, or let an absent field loosen a rule. Each is
// documented for pack authors in docs/packs.md.

// ControlShare is the share of a principal's owners (percent, by the
// owner's state) above which that state controls it: a strict majority,
// the share that outvotes every other owner together. At exactly 50 % no
// single state controls.
const ControlShare = 50.0

// controlledByOf is the state that controls p: its own jurisdiction if p
// is a state authority, else the state holding more than ControlShare
// percent of it, else "". A nil p is controlled by no one.
func controlledByOf(p *model.Principal) string {
	if p == nil {
		return ""
	}
	if p.Kind == model.KindStateAuthority {
		return p.Jurisdiction
	}
	for s, share := range p.Owners {
		if share > ControlShare {
			return s // at most one state can hold a strict majority
		}
	}
	return ""
}

// controlledBy is controlledBy(principal) in packs.
func controlledBy(v ref.Val) ref.Val {
	if _, null := v.(types.Null); null {
		return emptyStr
	}
	return internedString(controlledByOf(principalOf(v)))
}

// stateBehindOf is the state a request acts for: actingStateOf(r) (a state
// authority asking, or named in on_behalf_of), else the state controlling
// the requester, else the state controlling on_behalf_of. "" when no state
// stands behind it.
func stateBehindOf(r *model.Request) string {
	if s := actingStateOf(r); s != "" {
		return s
	}
	if s := controlledByOf(&r.Requester); s != "" {
		return s
	}
	return controlledByOf(r.OnBehalfOf)
}

// subjectToOf lists, sorted and without repeats, the states whose demands
// bind p: its jurisdiction, its headquarters, and the state controlling
// it. Nil for a nil p.
func subjectToOf(p *model.Principal) []string {
	if p == nil {
		return nil
	}
	out := make([]string, 0, 3)
	for _, s := range []string{p.Jurisdiction, p.Headquarters, controlledByOf(p)} {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// subjectTo is subjectTo(principal) in packs.
func subjectTo(v ref.Val) ref.Val {
	if _, null := v.(types.Null); null {
		return newStrList(nil)
	}
	return newStrList(subjectToOf(principalOf(v)))
}

// destinationOfReq is where the data of r goes: its destination when
// given; else (data read or changed in place) the reader's state — the
// state behind the request, or the requester's jurisdiction.
func destinationOfReq(r *model.Request) string {
	if r.Destination != "" {
		return r.Destination
	}
	if s := stateBehindOf(r); s != "" {
		return s
	}
	return r.Requester.Jurisdiction
}

// personalDataOf reports whether r's data is personal: a personal category,
// or any data subject counted, whatever the categories say.
func personalDataOf(r *model.Request) bool {
	if slices.ContainsFunc(r.Data.Categories, model.IsPersonal) {
		return true
	}
	for _, n := range r.Data.Subjects {
		if n > 0 {
			return true
		}
	}
	return false
}

// requestArg returns the request behind a CEL value of type model.Request.
func requestArg(v ref.Val) *model.Request {
	switch x := v.Value().(type) {
	case *requestView:
		return x.req
	case *model.Request:
		return x
	case model.Request:
		return &x
	}
	return nil
}

// requestFunc adapts a function of a request to a CEL unary binding.
func requestFunc[T any](f func(*model.Request) T, conv func(T) ref.Val) func(ref.Val) ref.Val {
	return func(v ref.Val) ref.Val {
		r := requestArg(v)
		if r == nil {
			return types.NoSuchOverloadErr()
		}
		return conv(f(r))
	}
}

var (
	stateBehind   = requestFunc(stateBehindOf, internedString)
	destinationOf = requestFunc(destinationOfReq, internedString)
	personalData  = requestFunc(personalDataOf, func(b bool) ref.Val { return types.Bool(b) })
)

// cumulativePeople is cumulativePeople(window, subjectState): the history
// count (per acting state, model.ScopeState) of subjects of subjectState
// in every category, plus this request's
// subjects of that state, whatever its categories. People counted under a
// non-personal label are still people.
func cumulativePeople(args ...ref.Val) ref.Val {
	if len(args) != 3 {
		return types.NoSuchOverloadErr()
	}
	w, ok1 := args[0].(types.String)
	state, ok2 := args[1].(types.String)
	in, ok3 := args[2].(*evalInput)
	if !ok1 || !ok2 || !ok3 {
		return types.NoSuchOverloadErr()
	}
	c, err := in.history.Sum(model.ScopeState, string(w), string(state), "")
	if err != nil {
		return types.NewErr("cumulativePeople: %v", err)
	}
	n := c.Subjects + in.req.Data.Subjects[string(state)]
	return types.Int(n)
}
