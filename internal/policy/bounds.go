package policy

import "github.com/accord-dev/accord/internal/model"

// withinBounds reports whether an evaluation's input stays within the
// sizes the compile-time cost estimate assumed: at most maxCollection
// items in every list and map, at most maxString bytes in every string
// (maxPayload in signed authorizations). Within them, every expression's
// cost is bounded by CostLimit without counting at run time.
func withinBounds(r *model.Request, h *model.History, authorized []string) bool {
	ok := str(string(r.Action)) && str(string(r.Purpose)) && str(r.Destination) && str(r.Transaction) && str(r.Frequency) &&
		principalOK(&r.Requester) && (r.OnBehalfOf == nil || principalOK(r.OnBehalfOf)) &&
		(r.Exporter == nil || principalOK(r.Exporter)) && (r.Importer == nil || principalOK(r.Importer)) &&
		str(r.Selectors.Kind) && strs(authorized) && historyOK(h) && historyOK(r.History)
	if !ok {
		return false
	}
	d := &r.Data
	if !(str(d.Dataset) && str(d.Location) && strs(d.Origin) && strs(d.Categories) && strs(d.Protections) &&
		str(d.Classification) && len(d.Subjects) <= maxCollection) {
		return false
	}
	for k := range d.Subjects {
		if !str(k) {
			return false
		}
	}
	if len(d.SubjectsByCategory) > maxCollection {
		return false
	}
	for cat, m := range d.SubjectsByCategory {
		if !str(cat) || len(m) > maxCollection {
			return false
		}
		for k := range m {
			if !str(k) {
				return false
			}
		}
	}
	if d.CII != nil && !(str(d.CII.State) && str(d.CII.Sector)) {
		return false
	}
	b := &r.Basis
	if !(str(b.Kind) && str(b.Ref) && str(b.Agreement) && strs(b.Measures) && len(b.Authorizations) <= maxCollection) {
		return false
	}
	for i := range b.Authorizations {
		env := &b.Authorizations[i]
		if len(env.PayloadType) > maxPayload || len(env.Payload) > maxPayload || len(env.Signatures) > maxCollection {
			return false
		}
		for _, sig := range env.Signatures {
			if len(sig.KeyID) > maxPayload || len(sig.Sig) > maxPayload {
				return false
			}
		}
	}
	return true
}

func str(s string) bool { return len(s) <= maxString }

func strs(ss []string) bool {
	if len(ss) > maxCollection {
		return false
	}
	for _, s := range ss {
		if len(s) > maxString {
			return false
		}
	}
	return true
}

func principalOK(p *model.Principal) bool {
	if !(str(p.ID) && str(p.Kind) && str(p.Role) && str(p.Jurisdiction) && str(p.Headquarters) &&
		str(p.Residence) && str(p.Employer) && len(p.Owners) <= maxCollection) {
		return false
	}
	for k := range p.Owners {
		if !str(k) {
			return false
		}
	}
	return true
}

func historyOK(h *model.History) bool {
	if h == nil {
		return true
	}
	for _, w := range []map[string]map[string]model.Count{h.Rolling12m, h.YearToDate} {
		if len(w) > maxCollection {
			return false
		}
		for state, cats := range w {
			if !str(state) || len(cats) > maxCollection {
				return false
			}
			for c := range cats {
				if !str(c) {
					return false
				}
			}
		}
	}
	return true
}
