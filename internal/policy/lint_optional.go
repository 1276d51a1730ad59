package policy

import (
	"regexp"
	"slices"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
)

// optionalField is a member of a request that may be left out and that a
// rule can read as a fact. Leaving it out must not take a request out of a
// deny or require rule unless the author says so with has() (issue 19).
type optionalField struct {
	// path is how expressions name it.
	path string
	// present reports whether r gives it; clear leaves it out of r.
	present func(r *model.Request) bool
	clear   func(r *model.Request)
}

// optionalFields are the members lintOptional checks: where the data goes,
// where it comes from, and who can compel or controls the requester. Other
// optional members are left out on purpose: labels that only tighten
// (purpose, transaction), markers whose absence means "not this kind of
// data" (data.cii, basis.agreement), on_behalf_of (absent: the requester
// acts for itself), and the data's description (categories, subject
// counts, selectors), whose absence packs decide with personalData and
// their own fallbacks.
var optionalFields = []optionalField{
	{"request.destination", func(r *model.Request) bool { return r.Destination != "" }, func(r *model.Request) { r.Destination = "" }},
	{"request.data.origin", func(r *model.Request) bool { return len(r.Data.Origin) > 0 }, func(r *model.Request) { r.Data.Origin = nil }},
	{"request.requester.headquarters", func(r *model.Request) bool { return r.Requester.Headquarters != "" }, func(r *model.Request) { r.Requester.Headquarters = "" }},
	{"request.requester.owners", func(r *model.Request) bool { return len(r.Requester.Owners) > 0 }, func(r *model.Request) { r.Requester.Owners = nil }},
}

// optionalFieldRes match a field read and a has() test of it, by path.
var optionalFieldRes = func() map[string][2]*regexp.Regexp {
	m := map[string][2]*regexp.Regexp{}
	for _, f := range optionalFields {
		q := regexp.QuoteMeta(f.path)
		m[f.path] = [2]*regexp.Regexp{
			regexp.MustCompile(`\b` + q + `\b`),
			regexp.MustCompile(`\bhas\(\s*` + q + `\s*\)`),
		}
	}
	return m
}()

// lintOptional reports each deny or require rule whose `when` reads an
// optional field without has() and stops firing, on some test case that
// fires it, when that field is left out: absence lets the request pass.
// The fix is to treat absence as the strictest value (the gdsi pack reads
// a missing destination as the reader's state: destinationOf), or to write
// has() where absence is meant to pass. A field an action requires
// (model.ActionRequires) is never left out: such a request is refused
// before any pack sees it.
func lintOptional(e *Engine, pk *Pack, tfs []*TestFile, add func(pos Pos, rule string, msg error)) {
	opts := Options{Packs: []string{pk.Name}}
	for _, r := range pk.Rules {
		if r.Effect != model.EffectDeny && r.Effect != model.EffectRequire {
			continue
		}
		for _, f := range optionalFields {
			res := optionalFieldRes[f.path]
			if !res[0].MatchString(r.When.Source) || res[1].MatchString(r.When.Source) {
				continue
			}
			if name, ok := passesWithout(e, opts, r.ID, f, tfs); ok {
				add(r.When.Pos, r.ID, locale.Errorf("reads %s without has(), and leaving it out stops the rule (case %q): a missing fact must not let a request pass; treat absence as the strictest value, or test has(%s) if absence is meant to pass",
					f.path, name, f.path))
			}
		}
	}
}

// passesWithout returns the name of a test case that fires rule id and
// no longer does when f is left out of its request.
func passesWithout(e *Engine, opts Options, id string, f optionalField, tfs []*TestFile) (string, bool) {
	for _, tf := range tfs {
		for _, tc := range tf.Cases {
			if tc.Request == nil || !f.present(tc.Request) {
				continue
			}
			if f.path == "request.destination" && slices.Contains(model.ActionRequires[tc.Request.Action], "destination") {
				continue
			}
			if !fires(e, opts, id, &Input{Request: tc.Request, History: tc.History, Authorized: tc.Authorized}) {
				continue
			}
			r := *tc.Request
			if r.OnBehalfOf != nil {
				p := *r.OnBehalfOf
				r.OnBehalfOf = &p
			}
			f.clear(&r)
			if !fires(e, opts, id, &Input{Request: &r, History: tc.History, Authorized: tc.Authorized}) {
				return tc.Name, true
			}
		}
	}
	return "", false
}

// fires reports whether rule id fires on in.
func fires(e *Engine, opts Options, id string, in *Input) bool {
	dec := e.Evaluate(in, opts)
	return slices.ContainsFunc(dec.Reasons, func(r model.Reason) bool { return r.Rule == id })
}
