package ledger

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/accord-dev/accord/internal/model"
)

// This file writes the private record of a decision ({"request": ...,
// "decision": ...}) without reflection, byte for byte what encoding/json
// writes for decisionRecord: members in struct order, empty optional
// members left out, map keys sorted, strings escaped and floats formatted
// as encoding/json does. TestDecisionRecordEncoding compares the two on
// records with every field of the model set, so that a field added to the
// model and not here fails the test. A value encoding/json rejects (a NaN
// owner share, a year past 9999) is left to encoding/json, which reports
// it as before.

// marshalDecisionRecord appends the JSON of the private record of a
// decision to b.
func marshalDecisionRecord(b []byte, req *model.Request, dec *model.Decision) ([]byte, error) {
	out, ok := appendDecisionRecord(b, req, dec)
	if !ok {
		raw, err := json.Marshal(decisionRecord{Request: req, Decision: dec})
		if err != nil {
			return nil, err
		}
		return append(b, raw...), nil
	}
	return out, nil
}

// appendDecisionRecord appends the record's JSON; ok is false for a value
// it leaves to encoding/json.
func appendDecisionRecord(b []byte, req *model.Request, dec *model.Decision) ([]byte, bool) {
	w := jsonObject{b: append(b, '{')}
	ok := true
	w.name("request")
	if req == nil {
		w.b = append(w.b, "null"...)
	} else if w.b, ok = appendRequest(w.b, req); !ok {
		return nil, false
	}
	w.name("decision")
	if dec == nil {
		w.b = append(w.b, "null"...)
	} else if w.b, ok = appendDecision(w.b, dec); !ok {
		return nil, false
	}
	return append(w.b, '}'), true
}

// always writes a string member even when empty.
func (w *jsonObject) always(n, v string) {
	w.name(n)
	w.b = appendJSONString(w.b, v)
}

// bool writes a bool member; with omitEmpty, false is left out.
func (w *jsonObject) bool(n string, v, omitEmpty bool) {
	if omitEmpty && !v {
		return
	}
	w.name(n)
	w.b = strconv.AppendBool(w.b, v)
}

// int64Always writes an integer member even when zero.
func (w *jsonObject) int64Always(n string, v int64) {
	w.name(n)
	w.b = strconv.AppendInt(w.b, v, 10)
}

// time writes a time member; ok is false for a time encoding/json
// rejects or writes otherwise than in UTC.
func (w *jsonObject) time(n string, t time.Time) bool {
	if y := t.Year(); y < 0 || y > 9999 {
		return false
	}
	if _, off := t.Zone(); off != 0 {
		out, err := t.MarshalJSON()
		if err != nil {
			return false
		}
		w.name(n)
		w.b = append(w.b, out...)
		return true
	}
	w.name(n)
	w.b = appendJSONTime(w.b, t)
	return true
}

// sortedKeys returns the keys of m sorted, in small when they fit.
func sortedKeys[V any](m map[string]V, small []string) []string {
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func appendRequest(b []byte, r *model.Request) ([]byte, bool) {
	w := jsonObject{b: append(b, '{')}
	w.always("action", string(r.Action))
	w.name("requester")
	var ok bool
	if w.b, ok = appendPrincipal(w.b, &r.Requester); !ok {
		return nil, false
	}
	for _, p := range [...]struct {
		name string
		p    *model.Principal
	}{{"on_behalf_of", r.OnBehalfOf}, {"exporter", r.Exporter}, {"importer", r.Importer}} {
		w.name(p.name)
		if p.p == nil {
			w.b = append(w.b, "null"...)
		} else if w.b, ok = appendPrincipal(w.b, p.p); !ok {
			return nil, false
		}
	}
	w.name("data")
	w.b = appendData(w.b, &r.Data)
	w.str("destination", r.Destination)
	w.str("purpose", string(r.Purpose))
	w.str("transaction", r.Transaction)
	w.str("frequency", r.Frequency)
	w.name("selectors")
	s := jsonObject{b: append(w.b, '{')}
	s.str("kind", r.Selectors.Kind)
	s.int("count", r.Selectors.Count)
	w.b = append(s.b, '}')
	w.name("basis")
	w.b = appendBasis(w.b, &r.Basis)
	if !w.time("time", r.Time) {
		return nil, false
	}
	w.str("recipient", r.Recipient)
	if r.History != nil {
		w.name("history")
		h := jsonObject{b: append(w.b, '{')}
		h.window("rolling_12m", r.History.Rolling12m)
		h.window("year_to_date", r.History.YearToDate)
		w.b = append(h.b, '}')
	}
	return append(w.b, '}'), true
}

// window writes a history window, unless it is empty (omitempty).
func (w *jsonObject) window(n string, m map[string]map[string]model.Count) {
	if len(m) == 0 {
		return
	}
	w.name(n)
	var small, smallCats [64]string
	w.b = append(w.b, '{')
	for i, state := range sortedKeys(m, small[:]) {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = appendJSONString(w.b, state)
		w.b = append(w.b, ':')
		cats := m[state]
		if cats == nil {
			w.b = append(w.b, "null"...)
			continue
		}
		w.b = append(w.b, '{')
		for j, cat := range sortedKeys(cats, smallCats[:]) {
			if j > 0 {
				w.b = append(w.b, ',')
			}
			w.b = appendJSONString(w.b, cat)
			w.b = append(w.b, ':')
			c := jsonObject{b: append(w.b, '{')}
			c.int64Always("subjects", cats[cat].Subjects)
			c.int("devices", cats[cat].Devices)
			w.b = append(c.b, '}')
		}
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, '}')
}

func appendPrincipal(b []byte, p *model.Principal) ([]byte, bool) {
	w := jsonObject{b: append(b, '{')}
	w.always("id", p.ID)
	w.always("kind", p.Kind)
	w.str("role", p.Role)
	w.always("jurisdiction", p.Jurisdiction)
	w.str("headquarters", p.Headquarters)
	if len(p.Owners) > 0 {
		w.name("owners")
		var small [16]string
		w.b = append(w.b, '{')
		for i, k := range sortedKeys(p.Owners, small[:]) {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = appendJSONString(w.b, k)
			w.b = append(w.b, ':')
			var ok bool
			if w.b, ok = appendJSONFloat(w.b, p.Owners[k]); !ok {
				return nil, false
			}
		}
		w.b = append(w.b, '}')
	}
	w.str("residence", p.Residence)
	w.str("employer", p.Employer)
	w.bool("ciio", p.CIIO, true)
	return append(w.b, '}'), true
}

// appendJSONFloat appends f as encoding/json writes a float64; ok is false
// for NaN and the infinities, which it rejects.
func appendJSONFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9, as encoding/json writes it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// appendIntMap appends m as a JSON object with its keys sorted, as
// encoding/json writes a map[string]int64.
func appendIntMap(b []byte, m map[string]int64) []byte {
	var small [32]string
	b = append(b, '{')
	for i, k := range sortedKeys(m, small[:]) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = strconv.AppendInt(b, m[k], 10)
	}
	return append(b, '}')
}

func appendData(b []byte, d *model.Data) []byte {
	w := jsonObject{b: append(b, '{')}
	w.str("dataset", d.Dataset)
	w.always("location", d.Location)
	w.strs("origin", d.Origin)
	w.strs("categories", d.Categories)
	if len(d.Subjects) > 0 {
		w.name("subjects")
		w.b = appendIntMap(w.b, d.Subjects)
	}
	if len(d.SubjectsByCategory) > 0 {
		w.name("subjects_by_category")
		var small [32]string
		w.b = append(w.b, '{')
		for i, cat := range sortedKeys(d.SubjectsByCategory, small[:]) {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = appendJSONString(w.b, cat)
			w.b = append(w.b, ':')
			m := d.SubjectsByCategory[cat]
			if m == nil {
				w.b = append(w.b, "null"...)
				continue
			}
			w.b = appendIntMap(w.b, m)
		}
		w.b = append(w.b, '}')
	}
	w.int("records", d.Records)
	w.int("devices", d.Devices)
	w.str("classification", d.Classification)
	w.name("cii")
	if d.CII == nil {
		w.b = append(w.b, "null"...)
	} else {
		c := jsonObject{b: append(w.b, '{')}
		c.always("state", d.CII.State)
		c.str("sector", d.CII.Sector)
		w.b = append(c.b, '}')
	}
	w.strs("protections", d.Protections)
	return append(w.b, '}')
}

func appendBasis(b []byte, bs *model.Basis) []byte {
	w := jsonObject{b: append(b, '{')}
	w.str("kind", bs.Kind)
	w.str("ref", bs.Ref)
	w.str("agreement", bs.Agreement)
	w.name("authorizations")
	if bs.Authorizations == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.b = append(w.b, '[')
		for i := range bs.Authorizations {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			env := &bs.Authorizations[i]
			e := jsonObject{b: append(w.b, '{')}
			e.always("payloadType", env.PayloadType)
			e.always("payload", env.Payload)
			e.name("signatures")
			if env.Signatures == nil {
				e.b = append(e.b, "null"...)
			} else {
				e.b = append(e.b, '[')
				for j, sig := range env.Signatures {
					if j > 0 {
						e.b = append(e.b, ',')
					}
					s := jsonObject{b: append(e.b, '{')}
					s.str("keyid", sig.KeyID)
					s.always("sig", sig.Sig)
					e.b = append(s.b, '}')
				}
				e.b = append(e.b, ']')
			}
			w.b = append(e.b, '}')
		}
		w.b = append(w.b, ']')
	}
	w.strs("measures", bs.Measures)
	return append(w.b, '}')
}

func appendDecision(b []byte, d *model.Decision) ([]byte, bool) {
	w := jsonObject{b: append(b, '{')}
	w.str("id", d.ID)
	w.always("outcome", string(d.Outcome))
	w.name("reasons")
	if d.Reasons == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.b = append(w.b, '[')
		for i := range d.Reasons {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			r := &d.Reasons[i]
			o := jsonObject{b: append(w.b, '{')}
			o.always("rule", r.Rule)
			o.always("pack", r.Pack)
			o.always("effect", r.Effect)
			o.always("message", r.Message)
			o.always("citation", r.Citation)
			o.bool("satisfied", r.Satisfied, true)
			w.b = append(o.b, '}')
		}
		w.b = append(w.b, ']')
	}
	if len(d.Requires) > 0 {
		w.name("requires")
		w.b = append(w.b, '[')
		for i := range d.Requires {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			r := &d.Requires[i]
			o := jsonObject{b: append(w.b, '{')}
			o.str("authorization_from", r.AuthorizationFrom)
			o.str("basis", r.Basis)
			o.str("measure", r.Measure)
			o.always("rule", r.Rule)
			o.always("pack", r.Pack)
			w.b = append(o.b, '}')
		}
		w.b = append(w.b, ']')
	}
	if len(d.Obligations) > 0 {
		w.name("obligations")
		w.b = append(w.b, '[')
		for i := range d.Obligations {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			ob := &d.Obligations[i]
			o := jsonObject{b: append(w.b, '{')}
			o.always("rule", ob.Rule)
			o.always("pack", ob.Pack)
			o.always("message", ob.Message)
			o.always("citation", ob.Citation)
			w.b = append(o.b, '}')
		}
		w.b = append(w.b, ']')
	}
	if len(d.Packs) > 0 {
		w.name("packs")
		w.b = append(w.b, '[')
		for i := range d.Packs {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			p := &d.Packs[i]
			o := jsonObject{b: append(w.b, '{')}
			o.always("pack", p.Pack)
			o.always("version", p.Version)
			o.always("outcome", string(p.Outcome))
			o.strs("rules", p.Rules)
			w.b = append(o.b, '}')
		}
		w.b = append(w.b, ']')
	}
	w.bool("binding", d.Binding, false)
	if d.LogIndex != nil {
		w.name("log_index")
		w.b = strconv.AppendUint(w.b, *d.LogIndex, 10)
	}
	if !w.time("time", d.Time) {
		return nil, false
	}
	if len(d.Explain) > 0 {
		w.name("explain")
		w.b = append(w.b, '[')
		for i := range d.Explain {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			t := &d.Explain[i]
			o := jsonObject{b: append(w.b, '{')}
			o.always("rule", t.Rule)
			o.always("pack", t.Pack)
			o.bool("fired", t.Fired, false)
			o.always("result", t.Result)
			w.b = append(o.b, '}')
		}
		w.b = append(w.b, ']')
	}
	if len(d.Excluded) > 0 {
		w.name("excluded")
		w.b = append(w.b, '[')
		for i := range d.Excluded {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			x := &d.Excluded[i]
			o := jsonObject{b: append(w.b, '{')}
			o.always("state", x.State)
			o.int64Always("subjects", x.Subjects)
			o.always("reason", x.Reason)
			w.b = append(o.b, '}')
		}
		w.b = append(w.b, ']')
	}
	return append(w.b, '}'), true
}
