// Package policy loads policy packs, compiles their rules with CEL once,
// and evaluates requests against them many times.
//
// The three steps are kept apart, as in OPA's ast/topdown/rego split:
//
//   - Load parses pack YAML into Pack values and checks their shape; every
//     error names file:line:col and, inside a rule, the rule id.
//   - Compile type-checks every CEL expression against the typed request,
//     rejects rules whose estimated cost exceeds CostLimit, and returns an
//     Engine holding the compiled programs.
//   - Engine.Evaluate turns an Input into a model.Decision. It allocates
//     little, compiles nothing and is safe for concurrent use.
//
// docs/packs.md explains how to write a pack and its tests.
package policy

import (
	"embed"
	"io/fs"
	"strings"
	"time"
	"unicode/utf8"
)

// bundled holds the packs shipped inside the binary, under packs/.
//
//go:embed packs
var bundled embed.FS

// Embedded returns the packs bundled with Accord. Its root holds the
// directory packs/, with one pack per packs/<name>.yaml and its tests in
// packs/<name>_test.yaml.
func Embedded() fs.FS { return bundled }

// Pack is one policy pack as written in its YAML file: a named, versioned
// set of rules with their dated parameters.
type Pack struct {
	// Name identifies the pack ([a-z0-9-]+), e.g. "gdsi".
	Name string
	// Version is the pack's own version string, e.g. "2026.11.0".
	Version string
	// Title is a human title for the pack.
	Title string
	// Source names the legal text the pack encodes.
	Source string
	// Applies is a CEL bool expression saying whether the pack applies to a
	// request when packs are selected automatically. Empty means always.
	Applies Expr
	// Params are the pack's dated, cited parameters, in file order.
	Params []*Param
	// Variables are named CEL expressions, as in Kubernetes
	// ValidatingAdmissionPolicy: rules read them as variables.<name>, and
	// each is computed at most once per evaluation. A variable may use the
	// variables before it.
	Variables []*Variable
	// Rules are the pack's rules, in file order (the order of reasons).
	Rules []*Rule
	// Pos is where the pack's document starts.
	Pos Pos
}

// Pos is a position in a pack file. Line and Column start at 1.
type Pos struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// String formats p as file:line:col.
func (p Pos) String() string {
	return p.File + ":" + itoa(p.Line) + ":" + itoa(p.Column)
}

// Expr is one CEL expression as written in a pack, with what is needed to
// map a position inside the expression back onto the YAML file.
type Expr struct {
	// Source is the expression text.
	Source string
	// Pos is where the YAML scalar holding the expression starts.
	Pos Pos
	// first is the file position (line, column) of the expression's first
	// character; for a block scalar (| or >) it is the first content line.
	firstLine, firstCol int
	// block is true for literal and folded block scalars; later lines then
	// start at column indent+1.
	block  bool
	indent int
	// folded is true for a folded block scalar (>), whose line breaks
	// became spaces; lineLens then holds the length in characters of each
	// content line of the file, after the indentation.
	folded   bool
	lineLens []int
}

// position maps a (line, column) inside the expression text, as CEL
// reports it (line from 1, column from 0), onto the file.
func (e Expr) position(line, col int) Pos {
	p := Pos{File: e.Pos.File}
	if line <= 1 && !e.folded {
		p.Line = e.firstLine
		p.Column = e.firstCol + col
		return p
	}
	if e.folded {
		// Find the character offset in the expression, then walk the
		// file's lines: each line break became one character.
		off := col
		for i, l := range strings.Split(e.Source, "\n") {
			if i >= line-1 {
				break
			}
			off += utf8.RuneCountInString(l) + 1
		}
		for i, n := range e.lineLens {
			if off <= n || i == len(e.lineLens)-1 {
				return Pos{File: e.Pos.File, Line: e.firstLine + i, Column: e.indent + 1 + off}
			}
			off -= n + 1
		}
	}
	p.Line = e.firstLine + line - 1
	if e.block {
		p.Column = e.indent + 1 + col
	} else {
		p.Column = col + 1
	}
	return p
}

// Rule is one rule of a pack.
type Rule struct {
	// ID is unique across all loaded packs; by convention it starts with
	// the pack name.
	ID string
	// Effect is deny, require or obligate (model.EffectDeny ...).
	Effect string
	// When is the CEL bool condition under which the rule fires.
	When Expr
	// Message is the fixed text of the reason; MessageExpression, a CEL
	// string expression, is the alternative. Exactly one is set.
	Message           string
	MessageExpression Expr
	// Translations are the message in other languages (French at least,
	// for `accord packs lint`), from the rule's `messages` (fixed text by
	// language) and `messageExpressions` (CEL string expressions by
	// language), in file order. Options.Lang picks one at evaluation.
	Translations []Translation
	// Citation points to the legal text the rule implements.
	Citation string
	// Requires, for a require rule, lists what the rule asks for: keys
	// authorization_from, basis or measure, each with a CEL expression that
	// yields a string or a list of strings.
	Requires []Requirement
	// SatisfiedBy, for a require rule, is the CEL bool expression that
	// says whether the requirement is met.
	SatisfiedBy Expr
	// Approval, for a require rule, marks its requires.measure (one string
	// literal) as an approval of the given kind: "holder" (ApprovalHolder),
	// the data holder's approval. Such a measure is server-owned: a binding
	// request may not name it in basis.measures; the server adds it when
	// the holder's approver has approved the request (internal/approval).
	Approval string
	// Pos is where the rule's mapping starts.
	Pos Pos
}

// Translation is a rule's message in one language other than English.
type Translation struct {
	// Lang is the BCP 47 tag of the language, as written ("fr", "fr-CA").
	Lang string
	// Message is the fixed text; MessageExpression, a CEL string
	// expression, is the alternative. Exactly one is set.
	Message           string
	MessageExpression Expr
	// Pos is where the language key is written.
	Pos Pos
}

// Requirement is one entry of a require rule's requires block.
type Requirement struct {
	// Key is authorization_from, basis or measure.
	Key string
	// Value is a CEL expression yielding a string or list(string).
	Value Expr
}

// Param is one named pack parameter with its dated values.
type Param struct {
	// Name is how expressions refer to it: params.<Name>.
	Name string
	// Values are the dated values, sorted by ValidFrom; their validity
	// windows do not overlap.
	Values []ParamValue
	// Pos is where the parameter's key is written.
	Pos Pos
}

// ParamValue is one value of a parameter and when it is in force.
type ParamValue struct {
	// Value is an int64, float64, string, bool, or a []int64, []float64,
	// []string or []bool.
	Value any
	// Source and Article cite where the value comes from.
	Source  string
	Article string
	// ValidFrom is inclusive; ValidTo is exclusive, zero when open-ended.
	ValidFrom time.Time
	ValidTo   time.Time
	// Pos is where this value's entry is written.
	Pos Pos
}

// inForce reports whether the value applies at t.
func (v ParamValue) inForce(t time.Time) bool {
	if t.Before(v.ValidFrom) {
		return false
	}
	return v.ValidTo.IsZero() || t.Before(v.ValidTo)
}

// Variable is one named expression of a pack's variables block.
type Variable struct {
	// Name is how expressions refer to it: variables.<Name>.
	Name string
	// Expression is the CEL expression computing it.
	Expression Expr
	// Pos is where the variable's entry starts.
	Pos Pos
}
