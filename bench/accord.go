package bench

import (
	"fmt"
	"slices"

	"github.com/accord-dev/accord/internal/policy"
)

// Accord is Accord's own engine (internal/policy) loaded with one pack.
type Accord struct {
	eng  *policy.Engine
	opts policy.Options
	pack string
}

// NewAccord compiles packs against reg and evaluates pack (only) on Eval.
func NewAccord(packs []*policy.Pack, reg policy.Registry, pack string) (*Accord, error) {
	eng, err := policy.Compile(packs, reg)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", pack, err)
	}
	return &Accord{eng: eng, opts: policy.Options{Packs: []string{pack}}, pack: pack}, nil
}

// Prepare builds the *policy.Input of a case; Accord evaluates the
// model.Request itself, so this is the whole of its conversion.
func (a *Accord) Prepare(c *Case) (any, error) {
	return &policy.Input{Request: c.Request, History: c.History, Authorized: c.Authorized}, nil
}

// Eval evaluates a prepared *policy.Input.
func (a *Accord) Eval(in any) (Result, error) {
	dec := a.eng.Evaluate(in.(*policy.Input), a.opts)
	for _, po := range dec.Packs {
		if po.Pack == a.pack {
			rules := slices.Clone(po.Rules)
			slices.Sort(rules)
			if rules == nil {
				rules = []string{}
			}
			return Result{Outcome: po.Outcome, Rules: rules}, nil
		}
	}
	return Result{}, fmt.Errorf("pack %s was not evaluated (outcome %s)", a.pack, dec.Outcome)
}
