package policy

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/decls"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/ext"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/accord-dev/accord/internal/model"
)

// Registry is what the policy engine needs of the registry of states,
// blocs and agreements. *registry.Registry implements it.
type Registry interface {
	// KnownJurisdiction reports whether code is an ISO 3166-1 alpha-2 code
	// the registry knows.
	KnownJurisdiction(code string) bool
	// InBloc reports whether state belongs to bloc ("EU", "EEA", "OECD"...).
	InBloc(state, bloc string) bool
	// AgreementCovers reports whether agreement id is in force at `at`, has
	// both a and b among its parties, and lists purpose.
	AgreementCovers(id, a, b, purpose string, at time.Time) bool
	// AgreementParties lists the parties of agreement id.
	AgreementParties(id string) []string
	// AgreementAuthorizes reports whether agreement id, in force at `at`,
	// is an international agreement between states that authorizes the
	// flow: a and b are parties, it lists purpose, the categories fall
	// within its scope and measures attest its conditions.
	AgreementAuthorizes(id, a, b, purpose string, categories, measures []string, at time.Time) bool
}

// Input is what one evaluation sees.
type Input struct {
	// Request is the request to decide. It is not modified.
	Request *model.Request
	// History holds the cumulative counters; nil means none (zero counts).
	// When nil, Request.History is used if present.
	History *model.History
	// Authorized lists the states whose signed authorization verified AND
	// covers this request. Packs see it as `authorized`.
	Authorized []string
}

// Options tune one evaluation.
type Options struct {
	// Packs names the packs to evaluate, in that order (a name given
	// twice counts once; an empty, non-nil list evaluates none). Nil selects
	// automatically every pack whose `applies` expression is true, in the
	// order the packs were compiled.
	Packs []string
	// Explain fills Decision.Explain with every rule evaluated and its
	// result.
	Explain bool
	// Lang is the language of the reasons' messages, a BCP 47 tag ("fr",
	// "fr-CA", "fr_FR.UTF-8" is read as fr-FR). A rule's translation in
	// that language is used when it has one (an exact tag first, then the
	// same base language: "fr-CA" takes "fr"); otherwise, and for "" or
	// English, its message. A translation that fails to render falls back
	// to the English message. Outcomes and rule ids never depend on it.
	Lang string
}

// inputTypeName names the hidden variable through which functions that
// need more than their arguments (the request time, the history) reach the
// evaluation. Pack authors cannot name it: '@' is not valid in CEL
// identifiers, so only the macros below produce it.
const inputVar = "@input"

var inputType = types.NewOpaqueType("accord.input")

// evalInput is the value of the hidden @input variable.
type evalInput struct {
	req     *model.Request
	history *model.History
	at      time.Time
}

// ConvertToNative implements ref.Val.
func (v *evalInput) ConvertToNative(reflect.Type) (any, error) {
	return nil, errors.New("accord.input cannot be converted")
}

// ConvertToType implements ref.Val.
func (v *evalInput) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return inputType
	}
	return types.NewErr("accord.input cannot be converted to %s", t.TypeName())
}

// Equal implements ref.Val.
func (v *evalInput) Equal(other ref.Val) ref.Val { return types.Bool(v == other) }

// Type implements ref.Val.
func (v *evalInput) Type() ref.Type { return inputType }

// Value implements ref.Val.
func (v *evalInput) Value() any { return v }

// Size bounds the cost estimator assumes for data it cannot see: a request
// names at most this many categories, states, parties. The runtime cost
// limit catches a request that goes beyond.
const (
	maxCollection = 300     // above the 249 ISO 3166-1 codes
	maxString     = 256     // codes, ids, names
	maxPayload    = 1 << 16 // strings of basis.authorizations (DSSE envelopes)
)

// CostLimit is the most a single expression may cost, in CEL cost units
// (roughly one unit per value visited). Compile rejects an expression whose
// estimated worst case exceeds it; evaluation stops an expression that
// reaches it at run time, and the rule then fails closed. It is the
// per-expression limit Kubernetes applies to its CEL admission rules;
// reaching it takes on the order of a millisecond.
const CostLimit = 1_000_000

// newBaseEnv returns the CEL environment shared by every pack: the typed
// request, authorized, and Accord's functions bound to reg.
func newBaseEnv(reg Registry) (*cel.Env, error) {
	fn := &functions{reg: reg}
	principal := cel.ObjectType("model.Principal")
	request := cel.ObjectType("model.Request")
	strList := cel.ListType(cel.StringType)
	anyMap := cel.MapType(cel.StringType, cel.DynType)
	return cel.NewEnv(
		ext.NativeTypes(reflect.TypeFor[model.Request](), ext.ParseStructTag("json")),
		nullablePointers,
		ext.Strings(),
		ext.Sets(),
		cel.Variable("request", request),
		cel.Variable("authorized", strList),
		cel.Variable(inputVar, inputType),
		cel.Macros(
			hiddenArgMacro("agreementCovers", 4),
			hiddenArgMacro("agreementAuthorizes", 6),
			hiddenArgMacro("cumulative", 3),
			hiddenArgMacro("cumulativeByPair", 3),
			hiddenArgMacro("cumulativeByExporter", 3),
			hiddenArgMacro("cumulativeDevices", 2),
			hiddenArgMacro("cumulativeDevicesByPair", 2),
			hiddenArgMacro("cumulativePeople", 2),
		),
		cel.Function("inBloc", noGuards,
			cel.Overload("inBloc_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
				cel.BinaryBinding(fn.inBloc))),
		cel.Function("agreementCovers", noGuards,
			cel.Overload("agreementCovers_at", []*cel.Type{cel.StringType, cel.StringType, cel.StringType, cel.StringType, inputType}, cel.BoolType,
				cel.FunctionBinding(fn.agreementCovers))),
		cel.Function("agreementAuthorizes", noGuards,
			cel.Overload("agreementAuthorizes_at", []*cel.Type{cel.StringType, cel.StringType, cel.StringType, cel.StringType, strList, strList, inputType}, cel.BoolType,
				cel.FunctionBinding(fn.agreementAuthorizes))),
		cel.Function("agreementParties", noGuards,
			cel.Overload("agreementParties_string", []*cel.Type{cel.StringType}, strList,
				cel.UnaryBinding(fn.agreementParties))),
		cel.Function("isStateActor", noGuards,
			cel.Overload("isStateActor_principal", []*cel.Type{principal}, cel.BoolType,
				cel.UnaryBinding(isStateActor)),
			cel.Overload("isStateActor_null", []*cel.Type{cel.NullType}, cel.BoolType,
				cel.UnaryBinding(isStateActor))),
		cel.Function("actingState", noGuards,
			cel.Overload("actingState_request", []*cel.Type{request}, cel.StringType,
				cel.UnaryBinding(actingState))),
		cel.Function("controlledBy", noGuards,
			cel.Overload("controlledBy_principal", []*cel.Type{principal}, cel.StringType,
				cel.UnaryBinding(controlledBy)),
			cel.Overload("controlledBy_null", []*cel.Type{cel.NullType}, cel.StringType,
				cel.UnaryBinding(controlledBy))),
		cel.Function("subjectTo", noGuards,
			cel.Overload("subjectTo_principal", []*cel.Type{principal}, strList,
				cel.UnaryBinding(subjectTo)),
			cel.Overload("subjectTo_null", []*cel.Type{cel.NullType}, strList,
				cel.UnaryBinding(subjectTo))),
		cel.Function("stateBehind", noGuards,
			cel.Overload("stateBehind_request", []*cel.Type{request}, cel.StringType,
				cel.UnaryBinding(stateBehind))),
		cel.Function("destinationOf", noGuards,
			cel.Overload("destinationOf_request", []*cel.Type{request}, cel.StringType,
				cel.UnaryBinding(destinationOf))),
		cel.Function("personalData", noGuards,
			cel.Overload("personalData_request", []*cel.Type{request}, cel.BoolType,
				cel.UnaryBinding(personalData))),
		cel.Function("cumulativePeople", noGuards,
			cel.Overload("cumulativePeople_at", []*cel.Type{cel.StringType, cel.StringType, inputType}, cel.IntType,
				cel.FunctionBinding(cumulativePeople))),
		cel.Function("statesOf", noGuards,
			cel.Overload("statesOf_map", []*cel.Type{anyMap}, strList,
				cel.UnaryBinding(statesOf))),
		cel.Function("total", noGuards,
			cel.Overload("total_map", []*cel.Type{anyMap}, cel.IntType,
				cel.UnaryBinding(total))),
		cel.Function("sumOf", noGuards,
			cel.Overload("sumOf_map_double_list", []*cel.Type{cel.MapType(cel.StringType, cel.DoubleType), strList}, cel.DoubleType,
				cel.BinaryBinding(sumOf)),
			cel.Overload("sumOf_map_int_list", []*cel.Type{cel.MapType(cel.StringType, cel.IntType), strList}, cel.IntType,
				cel.BinaryBinding(sumOf))),
		cel.Function("hasCategory", noGuards,
			cel.Overload("hasCategory_list_list", []*cel.Type{strList, strList}, cel.BoolType,
				cel.BinaryBinding(hasCategoryVal))),
		cel.Function("hasPersonal", noGuards,
			cel.Overload("hasPersonal_list", []*cel.Type{strList}, cel.BoolType,
				cel.UnaryBinding(hasPersonalVal))),
		cel.Function("cumulative", noGuards,
			cel.Overload("cumulative_at", []*cel.Type{cel.StringType, cel.StringType, cel.StringType, inputType}, cel.IntType,
				cel.FunctionBinding(cumulative)),
			cel.Overload("cumulative_list_at", []*cel.Type{cel.StringType, cel.StringType, strList, inputType}, cel.IntType,
				cel.FunctionBinding(cumulative))),
		cel.Function("cumulativeByPair", noGuards,
			cel.Overload("cumulativeByPair_at", []*cel.Type{cel.StringType, cel.StringType, cel.StringType, inputType}, cel.IntType,
				cel.FunctionBinding(cumulativeByPair)),
			cel.Overload("cumulativeByPair_list_at", []*cel.Type{cel.StringType, cel.StringType, strList, inputType}, cel.IntType,
				cel.FunctionBinding(cumulativeByPair))),
		cel.Function("cumulativeByExporter", noGuards,
			cel.Overload("cumulativeByExporter_at", []*cel.Type{cel.StringType, cel.StringType, cel.StringType, inputType}, cel.IntType,
				cel.FunctionBinding(cumulativeByExporter)),
			cel.Overload("cumulativeByExporter_list_at", []*cel.Type{cel.StringType, cel.StringType, strList, inputType}, cel.IntType,
				cel.FunctionBinding(cumulativeByExporter))),
		cel.Function("cumulativeDevices", noGuards,
			cel.Overload("cumulativeDevices_at", []*cel.Type{cel.StringType, cel.StringType, inputType}, cel.IntType,
				cel.FunctionBinding(cumulativeDevices))),
		cel.Function("cumulativeDevicesByPair", noGuards,
			cel.Overload("cumulativeDevicesByPair_at", []*cel.Type{cel.StringType, cel.StringType, inputType}, cel.IntType,
				cel.FunctionBinding(cumulativeDevicesByPair))),
	)
}

// noGuards skips cel-go's runtime check of argument types before calling
// Accord's functions: the checker has already typed every call, and each
// function checks what it receives itself (answering "no such overload").
var noGuards = decls.DisableTypeGuards(true)

// hiddenArgMacro rewrites name(args...) into name(args..., @input), so a
// function can see the request time and history without the pack author
// passing them.
func hiddenArgMacro(name string, argc int) cel.Macro {
	return cel.GlobalMacro(name, argc, func(eh cel.MacroExprFactory, _ ast.Expr, args []ast.Expr) (ast.Expr, *common.Error) {
		out := make([]ast.Expr, 0, len(args)+1)
		out = append(out, args...)
		out = append(out, eh.NewIdent(inputVar))
		return eh.NewCall(name, out...), nil
	})
}

// functions holds the registry the registry-backed functions consult.
type functions struct {
	reg Registry
}

var errNoRegistry = types.NewErr("no registry configured")

func (f *functions) inBloc(state, bloc ref.Val) ref.Val {
	if f.reg == nil {
		return errNoRegistry
	}
	s, ok1 := state.(types.String)
	b, ok2 := bloc.(types.String)
	if !ok1 || !ok2 {
		return types.NoSuchOverloadErr()
	}
	return types.Bool(f.reg.InBloc(string(s), string(b)))
}

func (f *functions) agreementCovers(args ...ref.Val) ref.Val {
	if f.reg == nil {
		return errNoRegistry
	}
	if len(args) != 5 {
		return types.NoSuchOverloadErr()
	}
	var s [4]string
	for i := range 4 {
		v, ok := args[i].(types.String)
		if !ok {
			return types.NoSuchOverloadErr()
		}
		s[i] = string(v)
	}
	in, ok := args[4].(*evalInput)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	return types.Bool(f.reg.AgreementCovers(s[0], s[1], s[2], s[3], in.at))
}

// agreementAuthorizes is agreementAuthorizes(id, a, b, purpose,
// categories, measures): Registry.AgreementAuthorizes at the request's time.
func (f *functions) agreementAuthorizes(args ...ref.Val) ref.Val {
	if f.reg == nil {
		return errNoRegistry
	}
	if len(args) != 7 {
		return types.NoSuchOverloadErr()
	}
	var s [4]string
	for i := range 4 {
		v, ok := args[i].(types.String)
		if !ok {
			return types.NoSuchOverloadErr()
		}
		s[i] = string(v)
	}
	cats, ok1 := stringsOf(args[4])
	meas, ok2 := stringsOf(args[5])
	in, ok3 := args[6].(*evalInput)
	if !ok1 || !ok2 || !ok3 {
		return types.NoSuchOverloadErr()
	}
	return types.Bool(f.reg.AgreementAuthorizes(s[0], s[1], s[2], s[3], cats, meas, in.at))
}

func (f *functions) agreementParties(id ref.Val) ref.Val {
	if f.reg == nil {
		return errNoRegistry
	}
	s, ok := id.(types.String)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	return newStrList(f.reg.AgreementParties(string(s)))
}

// principalOf returns the Go principal behind a CEL value, nil for null.
func principalOf(v ref.Val) *model.Principal {
	switch p := v.Value().(type) {
	case *model.Principal:
		return p
	case model.Principal:
		return &p
	}
	return nil
}

func isStateActor(v ref.Val) ref.Val {
	p := principalOf(v)
	return types.Bool(p != nil && p.Kind == model.KindStateAuthority)
}

func actingState(v ref.Val) ref.Val {
	var r *model.Request
	switch x := v.Value().(type) {
	case *requestView:
		r = x.req
	case *model.Request:
		r = x
	case model.Request:
		r = &x
	default:
		return types.NoSuchOverloadErr()
	}
	return internedString(actingStateOf(r))
}

// actingStateOf is the state of the state actor behind a request: the
// requester's jurisdiction if it is a state actor, else on_behalf_of's if
// that is one, else "".
func actingStateOf(r *model.Request) string {
	if r.Requester.Kind == model.KindStateAuthority {
		return r.Requester.Jurisdiction
	}
	if r.OnBehalfOf != nil && r.OnBehalfOf.Kind == model.KindStateAuthority {
		return r.OnBehalfOf.Jurisdiction
	}
	return ""
}

// statesOf returns the sorted keys of a map whose value is positive.
func statesOf(v ref.Val) ref.Val {
	if c, ok := v.(*countsVal); ok {
		return c.statesOf()
	}
	var out []string
	switch m := v.Value().(type) {
	case map[string]int64:
		out = make([]string, 0, len(m))
		for k, n := range m {
			if n > 0 {
				out = append(out, k)
			}
		}
	case map[string]float64:
		out = make([]string, 0, len(m))
		for k, n := range m {
			if n > 0 {
				out = append(out, k)
			}
		}
	default:
		mp, ok := v.(traits.Mapper)
		if !ok {
			return types.NoSuchOverloadErr()
		}
		it := mp.Iterator()
		for it.HasNext() == types.True {
			k := it.Next()
			ks, ok := k.(types.String)
			if !ok {
				return types.NewErr("statesOf: keys must be strings")
			}
			if positive(mp.Get(k)) {
				out = append(out, string(ks))
			}
		}
	}
	sort.Strings(out)
	return newStrList(out)
}

func positive(v ref.Val) bool {
	switch n := v.(type) {
	case types.Int:
		return n > 0
	case types.Uint:
		return n > 0
	case types.Double:
		return n > 0
	}
	return false
}

// total sums the values of a map of counts.
func total(v ref.Val) ref.Val {
	if c, ok := v.(*countsVal); ok {
		return c.total()
	}
	switch m := v.Value().(type) {
	case map[string]int64:
		var t int64
		for _, n := range m {
			t += n
		}
		return types.Int(t)
	}
	mp, ok := v.(traits.Mapper)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	var t int64
	it := mp.Iterator()
	for it.HasNext() == types.True {
		switch n := mp.Get(it.Next()).(type) {
		case types.Int:
			t += int64(n)
		case types.Uint:
			t += int64(n)
		default:
			return types.NewErr("total: values must be integers")
		}
	}
	return types.Int(t)
}

// sumOf is sumOf(map, keys): the sum of the map's values at keys, a
// missing key counting zero; for example the ownership share held by
// countries of concern: sumOf(request.requester.owners,
// params.countries_of_concern).
func sumOf(m, keys ref.Val) ref.Val {
	ks, ok := stringsOf(keys)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	switch x := m.Value().(type) {
	case map[string]float64:
		var t float64
		for _, k := range ks {
			t += x[k]
		}
		return types.Double(t)
	case map[string]int64:
		var t int64
		for _, k := range ks {
			t += x[k]
		}
		return types.Int(t)
	}
	mp, ok := m.(traits.Mapper)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	var ti int64
	var td float64
	isDouble := false
	for _, k := range ks {
		v, found := mp.Find(types.String(k))
		if !found {
			continue
		}
		switch n := v.(type) {
		case types.Int:
			ti += int64(n)
		case types.Double:
			td += float64(n)
			isDouble = true
		default:
			return types.NewErr("sumOf: values must be numbers")
		}
	}
	if isDouble {
		return types.Double(td + float64(ti))
	}
	return types.Int(ti)
}

// stringsOf returns the strings of a CEL list, without copying when the
// list wraps a []string.
func stringsOf(v ref.Val) ([]string, bool) {
	if l, ok := v.(*strList); ok {
		return l.ss, true
	}
	if s, ok := v.Value().([]string); ok {
		return s, true
	}
	l, ok := v.(traits.Lister)
	if !ok {
		return nil, false
	}
	n, ok := l.Size().(types.Int)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, int(n))
	for i := types.Int(0); i < n; i++ {
		s, ok := l.Get(i).(types.String)
		if !ok {
			return nil, false
		}
		out = append(out, string(s))
	}
	return out, true
}

// categoryUnder reports whether category c equals prefix or is a dotted
// child of it.
func categoryUnder(c, prefix string) bool {
	return c == prefix || (len(c) > len(prefix) && c[len(prefix)] == '.' && strings.HasPrefix(c, prefix))
}

func hasCategory(cats, prefixes []string) bool {
	for _, c := range cats {
		for _, p := range prefixes {
			if categoryUnder(c, p) {
				return true
			}
		}
	}
	return false
}

// hasCategoryUnder is hasCategory with a single prefix.
func hasCategoryUnder(cats []string, prefix string) bool {
	for _, c := range cats {
		if categoryUnder(c, prefix) {
			return true
		}
	}
	return false
}

func hasCategoryVal(cats, prefixes ref.Val) ref.Val {
	c, ok1 := stringsOf(cats)
	p, ok2 := stringsOf(prefixes)
	if !ok1 || !ok2 {
		return types.NoSuchOverloadErr()
	}
	return types.Bool(hasCategory(c, p))
}

func hasPersonalVal(cats ref.Val) ref.Val {
	c, ok := stringsOf(cats)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	return types.Bool(slices.ContainsFunc(c, model.IsPersonal))
}

// AllStates, as cumulative's subject state, counts data subjects of every
// jurisdiction (China's Provisions count individuals whatever their
// nationality).
const AllStates = model.AllSubjectStates

// historySum is the history's count of scope over window w for subjects
// of state in categories under any of prefixes, each counter counted once
// (a prefix under another of the list adds nothing more).
func historySum(in *evalInput, scope model.CounterScope, w, state string, prefixes []string) (model.Count, error) {
	var n model.Count
	for i, p := range prefixes {
		covered := false
		for j, q := range prefixes {
			if j != i && model.CategoryUnder(p, q) && (p != q || j < i) {
				covered = true // under another prefix of the list, or a repeat
				break
			}
		}
		if covered {
			continue
		}
		c, err := in.history.Sum(scope, w, state, p)
		if err != nil {
			return model.Count{}, err
		}
		n.Subjects += c.Subjects
		n.Devices += c.Devices
	}
	if len(prefixes) == 0 {
		// Nothing to sum; still refuse an unknown window.
		if _, _, err := model.WindowDays(scope, w, in.at); err != nil {
			return model.Count{}, err
		}
	}
	return n, nil
}

// cumulativeFor returns the binding of cumulative(window, subjectState,
// categoryPrefix) over scope: the history count of subjects of
// subjectState in categories under prefix, plus this request's subjects
// of that state when the request has a category under prefix.
// subjectState "*" (AllStates) counts every jurisdiction.
//
// The prefix may be a list of prefixes: each history counter under any of
// them is added once, and this request's subjects are added once when it
// has a category under any of them. History counters of different
// categories may hold the same people or different ones; the history
// cannot say, so they are added (the stricter reading). This request's
// subjects are the same people whichever of its categories they are in, so
// they are added once; when the request counts people per category
// (data.subjects_by_category), each matching category brings its own
// count, added up to at most the state's plain count
// (model.Data.SubjectsUnder): 900 health records and 150,000 identifiers
// count 900 under "personal.health".
//
// cumulative reads model.ScopeState (per acting state, GDSI),
// cumulativeByPair model.ScopePair (per exporter and importer, US DSP
// § 202.205), cumulativeByExporter model.ScopeExporter (per exporter, the
// year in China Standard Time, China's Provisions art. 7–8). A request
// without the parties a scope needs is judged on the acting state's
// counters.
func cumulativeFor(scope model.CounterScope) func(args ...ref.Val) ref.Val {
	name := cumulativeNames[scope]
	return func(args ...ref.Val) ref.Val {
		if len(args) != 4 {
			return types.NoSuchOverloadErr()
		}
		w, ok1 := args[0].(types.String)
		state, ok2 := args[1].(types.String)
		in, ok4 := args[3].(*evalInput)
		if !ok1 || !ok2 || !ok4 {
			return types.NoSuchOverloadErr()
		}
		var prefixes []string
		switch p := args[2].(type) {
		case types.String:
			prefixes = []string{string(p)}
		default:
			list, ok := stringsOf(p)
			if !ok {
				return types.NoSuchOverloadErr()
			}
			prefixes = list
		}
		c, err := historySum(in, scope, string(w), string(state), prefixes)
		if err != nil {
			return types.NewErr("%s: %v", name, err)
		}
		n := c.Subjects + in.req.Data.SubjectsUnder(string(state), func(cat string) bool {
			for _, p := range prefixes {
				if categoryUnder(cat, p) {
					return true
				}
			}
			return false
		})
		return types.Int(n)
	}
}

// cumulativeNames names the cumulative function of each scope, for
// errors.
var cumulativeNames = map[model.CounterScope]string{
	model.ScopeState:    "cumulative",
	model.ScopePair:     "cumulativeByPair",
	model.ScopeExporter: "cumulativeByExporter",
}

var (
	cumulative           = cumulativeFor(model.ScopeState)
	cumulativeByPair     = cumulativeFor(model.ScopePair)
	cumulativeByExporter = cumulativeFor(model.ScopeExporter)
)

// cumulativeDevicesFor returns the binding of
// cumulativeDevices(window, categoryPrefix) over scope: the history count
// of devices in categories under prefix, over every subject state, plus
// this request's devices when it has a category under prefix.
// cumulativeDevices reads model.ScopeState, cumulativeDevicesByPair
// model.ScopePair.
func cumulativeDevicesFor(scope model.CounterScope) func(args ...ref.Val) ref.Val {
	return func(args ...ref.Val) ref.Val {
		if len(args) != 3 {
			return types.NoSuchOverloadErr()
		}
		w, ok1 := args[0].(types.String)
		prefix, ok2 := args[1].(types.String)
		in, ok3 := args[2].(*evalInput)
		if !ok1 || !ok2 || !ok3 {
			return types.NoSuchOverloadErr()
		}
		c, err := in.history.Sum(scope, string(w), AllStates, string(prefix))
		if err != nil {
			return types.NewErr("cumulativeDevices: %v", err)
		}
		n := c.Devices
		if hasCategoryUnder(in.req.Data.Categories, string(prefix)) {
			n += in.req.Data.Devices
		}
		return types.Int(n)
	}
}

var (
	cumulativeDevices       = cumulativeDevicesFor(model.ScopeState)
	cumulativeDevicesByPair = cumulativeDevicesFor(model.ScopePair)
)

// nullablePointers makes the optional parts of a request (on_behalf_of,
// exporter, importer, data.cii, history) null when absent, as the JSON says, rather than an
// empty object: `request.on_behalf_of == null` and `has(...)` then mean
// what a pack author expects.
func nullablePointers(env *cel.Env) (*cel.Env, error) {
	return cel.CustomTypeProvider(&nullableProvider{Provider: env.CELTypeProvider()})(env)
}

// nullableProvider overrides the pointer fields of the model's types.
type nullableProvider struct {
	types.Provider
}

// FindStructFieldType implements types.Provider.
func (p *nullableProvider) FindStructFieldType(structType, field string) (*types.FieldType, bool) {
	ft, ok := p.findField(structType, field)
	if !ok || (structType != "model.Request" && structType != "model.Data" && structType != "model.Basis") {
		return ft, ok
	}
	// Reads through the evaluation's views (see requestView).
	inner := ft
	return &types.FieldType{
		Type:        inner.Type,
		IsJSONField: inner.IsJSONField,
		IsSet: func(target any) bool {
			switch v := target.(type) {
			case *requestView:
				target = v.req
			case *dataView:
				target = v.d
			case *basisView:
				target = v.b
			}
			return inner.IsSet(target)
		},
		GetFrom: func(target any) (any, error) {
			switch v := target.(type) {
			case *requestView:
				switch field {
				case "data":
					return &v.data, nil
				case "basis":
					return &v.basis, nil
				}
				target = v.req
			case *dataView:
				if c := v.field(field); c != nil {
					return c, nil
				}
				target = v.d
			case *basisView:
				if field == "measures" {
					return &v.measures, nil
				}
				target = v.b
			}
			return inner.GetFrom(target)
		},
	}, true
}

// findField is FindStructFieldType without the views.
func (p *nullableProvider) findField(structType, field string) (*types.FieldType, bool) {
	ft, ok := p.Provider.FindStructFieldType(structType, field)
	if !ok {
		return ft, ok
	}
	if str, found := stringFields[structType+"."+field]; found {
		base := ft
		nullable := structType == "model.Principal" || structType == "model.CII"
		return &types.FieldType{
			Type:        base.Type,
			IsJSONField: base.IsJSONField,
			IsSet:       base.IsSet,
			GetFrom: func(target any) (any, error) {
				if nullable && isNull(target) {
					return nil, fmt.Errorf("no such key: %s (the object holding it is null)", field)
				}
				if s, ok := str(target); ok {
					return internedString(s), nil
				}
				return base.GetFrom(target)
			},
		}, true
	}
	var get func(target any) (ptr any, isNil bool, ok bool)
	switch {
	case structType == "model.Request" && field == "on_behalf_of":
		get = func(t any) (any, bool, bool) {
			r := requestOf(t)
			if r == nil {
				return nil, false, false
			}
			return r.OnBehalfOf, r.OnBehalfOf == nil, true
		}
	case structType == "model.Request" && (field == "exporter" || field == "importer"):
		get = func(t any) (any, bool, bool) {
			r := requestOf(t)
			if r == nil {
				return nil, false, false
			}
			p := r.Exporter
			if field == "importer" {
				p = r.Importer
			}
			return p, p == nil, true
		}
	case structType == "model.Request" && field == "history":
		get = func(t any) (any, bool, bool) {
			r := requestOf(t)
			if r == nil {
				return nil, false, false
			}
			return r.History, r.History == nil, true
		}
	case structType == "model.Data" && field == "cii":
		get = func(t any) (any, bool, bool) {
			var d *model.Data
			switch x := t.(type) {
			case *model.Data:
				d = x
			case model.Data:
				d = &x
			default:
				return nil, false, false
			}
			return d.CII, d.CII == nil, true
		}
	default:
		// Only the types reached through a nullable pointer.
		if structType != "model.Principal" && structType != "model.CII" && structType != "model.History" {
			return ft, ok
		}
		// A field of an absent object is an error, as in CEL on JSON
		// (`no such key`), not a zero value that a rule would compare.
		base := ft
		return &types.FieldType{
			Type:        base.Type,
			IsJSONField: base.IsJSONField,
			IsSet: func(target any) bool {
				return !isNull(target) && base.IsSet(target)
			},
			GetFrom: func(target any) (any, error) {
				if isNull(target) {
					return nil, fmt.Errorf("no such key: %s (the object holding it is null)", field)
				}
				return base.GetFrom(target)
			},
		}, true
	}
	base := ft
	return &types.FieldType{
		Type:        base.Type,
		IsJSONField: base.IsJSONField,
		IsSet: func(target any) bool {
			_, isNil, ok := get(target)
			if !ok {
				return base.IsSet(target)
			}
			return !isNil
		},
		GetFrom: func(target any) (any, error) {
			v, isNil, ok := get(target)
			if !ok {
				return base.GetFrom(target)
			}
			if isNil {
				return types.NullValue, nil
			}
			return v, nil
		},
	}, true
}

func isNull(t any) bool {
	switch t.(type) {
	case structpb.NullValue, types.Null:
		return true
	}
	return false
}

func requestOf(t any) *model.Request {
	switch x := t.(type) {
	case *requestView:
		return x.req
	case *model.Request:
		return x
	case model.Request:
		return &x
	}
	return nil
}

// stringFields read the string fields of the model's types directly, so
// that their values can be interned (see internedString) instead of boxed
// anew at every access.
var stringFields = map[string]func(any) (string, bool){
	"model.Request.action":         fieldOf(func(r *model.Request) string { return string(r.Action) }),
	"model.Request.purpose":        fieldOf(func(r *model.Request) string { return string(r.Purpose) }),
	"model.Request.destination":    fieldOf(func(r *model.Request) string { return r.Destination }),
	"model.Request.transaction":    fieldOf(func(r *model.Request) string { return r.Transaction }),
	"model.Request.frequency":      fieldOf(func(r *model.Request) string { return r.Frequency }),
	"model.Principal.id":           fieldOf(func(p *model.Principal) string { return p.ID }),
	"model.Principal.kind":         fieldOf(func(p *model.Principal) string { return p.Kind }),
	"model.Principal.role":         fieldOf(func(p *model.Principal) string { return p.Role }),
	"model.Principal.jurisdiction": fieldOf(func(p *model.Principal) string { return p.Jurisdiction }),
	"model.Principal.headquarters": fieldOf(func(p *model.Principal) string { return p.Headquarters }),
	"model.Principal.residence":    fieldOf(func(p *model.Principal) string { return p.Residence }),
	"model.Principal.employer":     fieldOf(func(p *model.Principal) string { return p.Employer }),
	"model.Data.dataset":           fieldOf(func(d *model.Data) string { return d.Dataset }),
	"model.Data.location":          fieldOf(func(d *model.Data) string { return d.Location }),
	"model.Data.classification":    fieldOf(func(d *model.Data) string { return d.Classification }),
	"model.CII.state":              fieldOf(func(c *model.CII) string { return c.State }),
	"model.CII.sector":             fieldOf(func(c *model.CII) string { return c.Sector }),
	"model.Selectors.kind":         fieldOf(func(s *model.Selectors) string { return s.Kind }),
	"model.Basis.kind":             fieldOf(func(b *model.Basis) string { return b.Kind }),
	"model.Basis.ref":              fieldOf(func(b *model.Basis) string { return b.Ref }),
	"model.Basis.agreement":        fieldOf(func(b *model.Basis) string { return b.Agreement }),
}

// fieldOf adapts a string accessor of T to the values the interpreter
// hands a field getter (a *T, or a T).
func fieldOf[T any](f func(*T) string) func(any) (string, bool) {
	return func(t any) (string, bool) {
		switch x := t.(type) {
		case *T:
			if x == nil {
				return "", false
			}
			return f(x), true
		case T:
			return f(&x), true
		}
		return "", false
	}
}

// Interned CEL strings: every two-letter code, and the model's fixed
// vocabulary. Built once; read-only afterwards.
var (
	codeVals  [26 * 26]ref.Val
	vocabVals         = map[string]ref.Val{}
	emptyStr  ref.Val = types.String("")
)

func init() {
	for i := range codeVals {
		codeVals[i] = types.String([]byte{byte('A' + i/26), byte('A' + i%26)})
	}
	add := func(ss ...string) {
		for _, s := range ss {
			vocabVals[s] = types.String(s)
		}
	}
	for _, a := range model.Actions {
		add(string(a))
	}
	for _, p := range model.Purposes {
		add(string(p))
	}
	add(model.PrincipalKinds...)
	add(model.Classifications...)
	add(model.BasisKinds...)
	add(model.SelectorSpecific, model.SelectorBulk)
	add("law-enforcement", "intelligence", "regulator", "judicial", "central-authority", "vendor", "processor")
	add("data-brokerage", "vendor", "employment", "investment")
}

// internedString returns s as a CEL value without allocating when s is a
// two-letter code or a word of the model's vocabulary.
func internedString(s string) ref.Val {
	switch {
	case s == "":
		return emptyStr
	case len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z':
		return codeVals[int(s[0]-'A')*26+int(s[1]-'A')]
	}
	if v, ok := vocabVals[s]; ok {
		return v
	}
	return types.String(s)
}
