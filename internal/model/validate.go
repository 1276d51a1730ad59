package model

import (
	"reflect"

	"github.com/accord-dev/accord/internal/jsonstrict"
)

// Outcomes lists every valid Outcome.
var Outcomes = []Outcome{Allow, Deny, Pending}

// Effects lists every valid rule effect, as written in packs and in
// Reason.Effect.
var Effects = []string{EffectDeny, EffectRequire, EffectObligate}

// SelectorKinds lists every valid Selectors.Kind.
var SelectorKinds = []string{SelectorSpecific, SelectorBulk}

var (
	jurisdiction = jsonstrict.Check{Kind: jsonstrict.CheckLookup} // a code the Jurisdictions know
	category     = jsonstrict.Check{Kind: jsonstrict.CheckFunc, Func: checkCategory}
	nonNegative  = jsonstrict.Check{Kind: jsonstrict.CheckNonNegative}
	percent      = jsonstrict.Check{Kind: jsonstrict.CheckPercent}
)

func enumOf[S ~string](values []S) jsonstrict.Check { return jsonstrict.Enum(values) }

// fieldRules is the validation table of requests and decisions, by struct
// type and JSON member name. The JSON Schemas in docs/schema/ say the same
// thing; schema_test.go keeps the two in step.
var fieldRules = jsonstrict.Rules{
	reflect.TypeFor[Request](): {
		"action":      {Required: true, Val: enumOf(Actions)},
		"requester":   {Required: true},
		"data":        {Required: true},
		"destination": {Val: jurisdiction},
		"purpose":     {Val: enumOf(Purposes)},
		"transaction": {Val: enumOf(Transactions)},
		"frequency":   {Val: enumOf(Frequencies)},
	},
	reflect.TypeFor[Principal](): {
		"kind":         {Required: true, Val: enumOf(PrincipalKinds)},
		"jurisdiction": {Required: true, Val: jurisdiction},
		"headquarters": {Val: jurisdiction},
		"owners":       {Keys: []jsonstrict.Check{jurisdiction}, Val: percent},
		"residence":    {Val: jurisdiction},
		"employer":     {Val: jurisdiction},
	},
	reflect.TypeFor[Data](): {
		"location":             {Required: true, Val: jurisdiction},
		"origin":               {Val: jurisdiction},
		"categories":           {Val: category},
		"subjects":             {Keys: []jsonstrict.Check{jurisdiction}, Val: nonNegative},
		"subjects_by_category": {Keys: []jsonstrict.Check{category, jurisdiction}, Val: nonNegative},
		"records":              {Val: nonNegative},
		"devices":              {Val: nonNegative},
		"classification":       {Val: enumOf(Classifications)},
		"protections":          {Val: enumOf(Protections)},
	},
	reflect.TypeFor[CII](): {
		"state": {Required: true, Val: jurisdiction},
	},
	reflect.TypeFor[Selectors](): {
		"kind":  {Val: enumOf(SelectorKinds)},
		"count": {Val: nonNegative},
	},
	reflect.TypeFor[Basis](): {
		"kind": {Val: enumOf(BasisKinds)},
	},
	reflect.TypeFor[Envelope](): {
		"payloadType": {Required: true},
		"payload":     {Required: true},
		"signatures":  {Required: true},
	},
	reflect.TypeFor[Signature](): {
		"sig": {Required: true},
	},
	reflect.TypeFor[History](): {
		"rolling_12m":  {Keys: []jsonstrict.Check{jurisdiction, category}},
		"year_to_date": {Keys: []jsonstrict.Check{jurisdiction, category}},
	},
	reflect.TypeFor[Count](): {
		"subjects": {Val: nonNegative},
		"devices":  {Val: nonNegative},
	},

	reflect.TypeFor[Decision](): {
		"outcome": {Required: true, Val: enumOf(Outcomes)},
		"reasons": {Required: true},
		"binding": {Required: true},
		"time":    {Required: true},
	},
	reflect.TypeFor[Reason](): {
		"rule":     {Required: true},
		"pack":     {Required: true},
		"effect":   {Required: true, Val: enumOf(Effects)},
		"message":  {Required: true},
		"citation": {Required: true},
	},
	reflect.TypeFor[Requirement](): {
		"authorization_from": {Val: jurisdiction},
		"rule":               {Required: true},
		"pack":               {Required: true},
	},
	reflect.TypeFor[Obligation](): {
		"rule":     {Required: true},
		"pack":     {Required: true},
		"message":  {Required: true},
		"citation": {Required: true},
	},
	reflect.TypeFor[PackOutcome](): {
		"pack":    {Required: true},
		"version": {Required: true},
		"outcome": {Required: true, Val: enumOf(Outcomes)},
	},
	reflect.TypeFor[Excluded](): {
		"state":    {Required: true, Val: jurisdiction},
		"subjects": {Required: true, Val: nonNegative},
		"reason":   {Required: true, Val: enumOf(ExclusionReasons)},
	},
	reflect.TypeFor[Trace](): {
		"rule":   {Required: true},
		"pack":   {Required: true},
		"fired":  {Required: true},
		"result": {Required: true},
	},
}

// decodeSchema holds the decoding tables of Request and Decision and
// every struct they contain, with fieldRules applied.
var decodeSchema = jsonstrict.MustSchema(fieldRules, reflect.TypeFor[Request](), reflect.TypeFor[Decision]())
