package model

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/accord-dev/accord/internal/jsonstrict"
	"github.com/accord-dev/accord/internal/locale"
)

// Jurisdictions tells the decoder which jurisdiction codes exist. The
// registry (*registry.Registry) implements it; tests use a small fixed set.
type Jurisdictions interface {
	// KnownJurisdiction reports whether code (ISO 3166-1 alpha-2, such as
	// "FR") names a jurisdiction.
	KnownJurisdiction(code string) bool
}

// InputError is what DecodeRequest and DecodeDecision return for bad input.
// It names where the problem is, so a person can fix the file:
//
//	data.subjects.XX: unknown jurisdiction "XX"
//	line 3, column 7: invalid character '}' looking for beginning of value
//	data.subjects: line 3, column 7: invalid character ...
//
// Path is set for every problem with a member of the document (a JSON path
// with dots and [i] for array elements: data.origin[1]); Line and Column
// (1-based; columns count characters) are set for syntax errors and other
// problems found at a place in the text rather than in a member.
type InputError struct {
	// Path is the JSON path of the offending member, or "" for the
	// document as a whole.
	Path string
	// Line and Column locate the problem in the text; 0 when unknown.
	Line, Column int
	// Msg says what is wrong, in English.
	Msg string
	// reason is Msg as a catalog message, for Text; nil when Msg has none.
	reason error
}

// NewInputError returns the *InputError about the member at path (""
// for the document as a whole) whose reason says what is wrong: Msg is
// reason in English, and Text writes it in a reader's language when
// reason is a catalog message (locale.Errorf).
func NewInputError(path string, reason error) *InputError {
	return &InputError{Path: path, Msg: reason.Error(), reason: reason}
}

// Error returns "path: msg", "line L, column C: msg", or both (path first).
func (e *InputError) Error() string {
	switch {
	case e.Path != "" && e.Line > 0:
		return fmt.Sprintf("%s: line %d, column %d: %s", e.Path, e.Line, e.Column, e.Msg)
	case e.Path != "":
		return e.Path + ": " + e.Msg
	case e.Line > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	default:
		return e.Msg
	}
}

// Reason returns what is wrong (Msg) as a catalog message, which
// locale.Text writes in a reader's language; Msg as it is, in every
// language, when it has none.
func (e *InputError) Reason() error {
	if e.reason == nil {
		return errors.New(e.Msg)
	}
	return e.reason
}

// Text returns the error as Error does, in p's language: the position
// and the reason are translated, the path and the quoted values are not.
func (e *InputError) Text(p *locale.Printer) string {
	return jsonstrict.Locate(p, e.Path, e.Line, e.Column, locale.Text(p, e.Reason()))
}

// DecodeRequest decodes one request strictly. It rejects, with an
// *InputError naming the JSON path: unknown fields at any depth, duplicate
// keys, missing required fields (action, requester with its kind and
// jurisdiction, data, data.location), values of the wrong JSON type,
// unknown enumeration values, jurisdiction codes j does not know, categories
// outside the taxonomy (see KnownCategory), negative counts, timestamps that
// are not RFC 3339, syntax errors (with line and column), empty input, a
// top level that is not an object, and anything after the object.
//
// Null is accepted where encoding/json may write it (on_behalf_of,
// data.cii, history, basis.authorizations and other pointers and lists
// without omitempty) and leaves the zero value; an empty optional list or
// map decodes to nil. So a decoded request encodes with encoding/json and
// decodes again to an equal request. Time takes RFC 3339 as written in
// the RFC, except leap seconds, which a time.Time cannot hold.
//
// A nil j accepts any code of two upper-case letters. DecodeRequest never
// panics, whatever data holds, and allocates little: the walk is the
// shared strict decoder, jsonstrict (json.Valid checks the syntax, then the
// tokens are read straight into the struct).
func DecodeRequest(data []byte, j Jurisdictions) (*Request, error) {
	req := new(Request)
	if err := decodeStrict(data, j, req); err != nil {
		return nil, err
	}
	if err := req.Data.CheckSubjects(); err != nil {
		return nil, err
	}
	if err := req.checkActionFields(); err != nil {
		return nil, err
	}
	return req, nil
}

// checkActionFields reports the first member ActionRequires demands of
// r's action that r lacks.
func (r *Request) checkActionFields() error {
	for _, name := range ActionRequires[r.Action] {
		switch name {
		case "destination":
			if r.Destination == "" {
				return NewInputError(name, locale.Errorf("required for action %s: say which state the data goes to (for data read in place from abroad, the reader's state)", strconv.Quote(string(r.Action))))
			}
		}
	}
	if r.Action == ActionNotify {
		return r.checkNotice()
	}
	return nil
}

// checkNotice reports the first sign that a request to notify carries
// someone's data: a notice is the sender's own text, and a label cannot
// make people's data into one (GDSI issue 19, class 6).
func (r *Request) checkNotice() error {
	notice := func(path string) error {
		return NewInputError(path, locale.Errorf("a notice (action \"notify\") carries no one's data; to send data about people or critical infrastructure, use disclose"))
	}
	for i, c := range r.Data.Categories {
		if IsPersonal(c) {
			return notice(fmt.Sprintf("data.categories[%d]", i))
		}
	}
	for _, cat := range slices.Sorted(maps.Keys(r.Data.SubjectsByCategory)) {
		for _, s := range slices.Sorted(maps.Keys(r.Data.SubjectsByCategory[cat])) {
			if r.Data.SubjectsByCategory[cat][s] > 0 {
				return notice(jsonstrict.Member(jsonstrict.Member("data.subjects_by_category", cat), s))
			}
		}
	}
	for s, n := range r.Data.Subjects {
		if n > 0 {
			return notice("data.subjects." + s)
		}
	}
	if r.Data.Devices > 0 {
		return notice("data.devices")
	}
	if r.Data.CII != nil {
		return notice("data.cii")
	}
	return nil
}

// DecodeDecision decodes one decision as strictly as DecodeRequest decodes
// a request: unknown fields, duplicate keys, missing required fields
// (outcome, reasons, binding, time; each reason's rule, pack, effect,
// message, citation), wrong types, unknown outcomes or effects and
// malformed state codes in requires[].authorization_from are
// *InputError values. It is meant for programs that read Accord's own
// output back (round trips, `--format json` consumers, tests).
func DecodeDecision(data []byte) (*Decision, error) {
	dec := new(Decision)
	if err := decodeStrict(data, nil, dec); err != nil {
		return nil, err
	}
	return dec, nil
}

// decodeStrict fills v (a pointer to Request or Decision) from data with
// the shared strict walker (jsonstrict) and the tables of validate.go; j
// judges jurisdiction codes.
func decodeStrict(data []byte, j Jurisdictions, v any) error {
	lookup := jsonstrict.Lookup{Func: checkWellFormedJurisdiction}
	if j != nil {
		lookup = jsonstrict.Lookup{Func: checkKnownJurisdiction, Arg: j}
	}
	err := decodeSchema.Decode(data, v, lookup)
	if err == nil {
		return nil
	}
	var je *jsonstrict.Error
	if !errors.As(err, &je) {
		return &InputError{Msg: err.Error()}
	}
	ie := &InputError{Path: je.Path, Msg: je.Msg, reason: je.Reason()}
	if je.InText {
		ie.Line, ie.Column = je.Line, je.Column
	}
	return ie
}

// jurisdictionHints says what to write instead of a code people often use
// that is not ISO 3166-1 alpha-2.
var jurisdictionHints = map[string]error{
	"UK":  locale.Errorf("use GB, the ISO 3166-1 code of the United Kingdom"),
	"EL":  locale.Errorf("use GR, the ISO 3166-1 code of Greece"),
	"EU":  locale.Errorf("the EU is a bloc, not a state: name the member state where the data is"),
	"FRA": locale.Errorf("use the two-letter code, such as FR"),
	"USA": locale.Errorf("use the two-letter code, US"),
	"GBR": locale.Errorf("use GB"),
	"CHN": locale.Errorf("use the two-letter code, CN"),
	"DEU": locale.Errorf("use the two-letter code, DE"),
}

// unknownJurisdiction says that s is not a known jurisdiction, with a hint
// when s is a code people often use.
func unknownJurisdiction(s string) error {
	if hint, ok := jurisdictionHints[s]; ok {
		return locale.Errorf("unknown jurisdiction %s (%v)", quoteShort(s), hint)
	}
	return locale.Errorf("unknown jurisdiction %s", quoteShort(s))
}

// checkKnownJurisdiction accepts the codes j (a Jurisdictions) knows.
func checkKnownJurisdiction(j any, s string) error {
	if j.(Jurisdictions).KnownJurisdiction(s) {
		return nil
	}
	return unknownJurisdiction(s)
}

// checkWellFormedJurisdiction accepts any two upper-case ASCII letters:
// the jurisdiction check without a registry.
func checkWellFormedJurisdiction(_ any, s string) error {
	if len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' {
		return nil
	}
	return unknownJurisdiction(s)
}

// checkCategory accepts the names KnownCategory accepts.
func checkCategory(s string) error {
	if KnownCategory(s) {
		return nil
	}
	return locale.Errorf("unknown category %s", quoteShort(s))
}

// quoteShort quotes s for an error message, cut after 64 bytes.
func quoteShort(s string) string { return jsonstrict.QuoteShort(s) }

// Closest returns the name among known nearest to name by edit distance,
// for an error to suggest it; "" when nothing is near enough (see
// jsonstrict.Closest).
func Closest(name string, known []string) string { return jsonstrict.Closest(name, known) }
