package authz

import (
	"context"
	"time"

	"github.com/accord-dev/accord/internal/model"
)

// Pack is the pack name Authorizer puts on the reasons it returns, so that
// a decision shows which findings come from authorization checks.
const Pack = "authz"

// Citation is what a finding's reason cites: the commitment that data
// located in a state is obtained only with that state's permission.
const Citation = "GDSI (2020), commitments 5 and 6 (letter of 18 September 2020 from China's Permanent Representative to the United Nations to the Secretary-General, circulated at the 75th session of the General Assembly, annex, paragraphs 5 and 6)"

// Authorizer verifies the authorizations a request carries against a set of
// authority keys and revocations, and reports findings as decision reasons.
// It is what the decider calls before evaluating packs.
type Authorizer struct {
	// Keys gives the authorities' public keys (the registry).
	Keys Keys
	// Revocations lists revocations lodged so far; nil = none.
	Revocations RevocationSet
}

// Authorize runs Evaluate on req.Basis.Authorizations at `at` and turns each
// finding into a reason: rule "authz-<check>" (for example authz-expired,
// authz-subjects), pack Pack, effect require, not satisfied. A non-nil error
// means bad input.
func (a *Authorizer) Authorize(ctx context.Context, req *model.Request, at time.Time) ([]string, []model.Reason, error) {
	states, findings, err := Evaluate(req.Basis.Authorizations, req, a.Keys, a.Revocations, at)
	if err != nil {
		return nil, nil, err
	}
	reasons := make([]model.Reason, 0, len(findings))
	for _, f := range findings {
		reasons = append(reasons, model.Reason{
			Rule:     "authz-" + f.Check,
			Pack:     Pack,
			Effect:   model.EffectRequire,
			Message:  f.Message,
			Citation: Citation,
		})
	}
	return states, reasons, nil
}
