package mla

import (
	"context"
	"sort"
	"time"

	"github.com/accord-dev/accord/internal/locale"
)

// Terms are the deadlines and validity that apply to a case, set per
// agreement (see Deadlines).
type Terms struct {
	// Answer is how long the requested state has to accept, narrow or
	// refuse, counted from opening (transmission time counts).
	Answer time.Duration `json:"answer" yaml:"answer"`
	// Execute is how long the provider has to execute once accepted.
	Execute time.Duration `json:"execute" yaml:"execute"`
	// Validity is how long the resulting authorization stays valid after
	// the answer.
	Validity time.Duration `json:"validity" yaml:"validity"`
}

const day = 24 * time.Hour

// DefaultTerms apply when an agreement sets none. They follow the European
// Investigation Order (Directive 2014/41/EU, art. 12: recognition within 30
// days, execution within 90 days), a common yardstick for judicial
// assistance; the authorization stays valid as long as execution may take.
var DefaultTerms = Terms{Answer: 30 * day, Execute: 90 * day, Validity: 90 * day}

// EEvidenceProductionOrder are the terms of a European Production Order
// under Regulation (EU) 2023/1543 (e-Evidence): the enforcing authority may
// raise grounds for refusal within 10 days (art. 12), and the provider
// transmits the data within 10 days of receipt (art. 10(2)).
var EEvidenceProductionOrder = Terms{Answer: 10 * day, Execute: 10 * day, Validity: 30 * day}

// EEvidenceEmergency are the terms of an emergency European Production
// Order: data within 8 hours (art. 10(4)); the enforcing authority answers
// within 96 hours (art. 12(4)).
var EEvidenceEmergency = Terms{Answer: 96 * time.Hour, Execute: 8 * time.Hour, Validity: 10 * day}

// Deadlines maps agreement ids to their terms.
type Deadlines struct {
	// Default applies to a case whose agreement has no entry, and to a case
	// on the basis of reciprocity. Zero means DefaultTerms.
	Default Terms `json:"default" yaml:"default"`
	// ByAgreement gives an agreement's own terms.
	ByAgreement map[string]Terms `json:"agreements" yaml:"agreements"`
}

// For returns the terms for a case relying on agreement.
func (d Deadlines) For(agreement string) Terms {
	if t, ok := d.ByAgreement[agreement]; ok && agreement != "" {
		return t
	}
	if d.Default == (Terms{}) {
		return DefaultTerms
	}
	return d.Default
}

// Validate checks every duration is positive.
func (d Deadlines) Validate() error {
	check := func(name string, t Terms) error {
		if t.Answer <= 0 || t.Execute <= 0 || t.Validity <= 0 {
			return locale.Errorf("deadlines %s: answer, execute and validity must all be positive durations (got %v, %v, %v)", name, t.Answer, t.Execute, t.Validity)
		}
		return nil
	}
	if d.Default != (Terms{}) {
		if err := check("default", d.Default); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(d.ByAgreement))
	for n := range d.ByAgreement {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := check("agreements."+n, d.ByAgreement[n]); err != nil {
			return err
		}
	}
	return nil
}

// The deadlines a case may miss.
const (
	DeadlineAnswer    = "answer"
	DeadlineExecution = "execution"
)

// OverdueCase is a case past one of its deadlines.
type OverdueCase struct {
	// Case is the case id; State where it stands.
	Case  string `json:"case"`
	State State  `json:"state"`
	// Deadline is DeadlineAnswer (the requested state has not answered) or
	// DeadlineExecution (the provider has not executed).
	Deadline string `json:"deadline"`
	// Due is when it was due; Late how long ago.
	Due  time.Time     `json:"due"`
	Late time.Duration `json:"late"`
	// Waiting names who is late: the requested state, or the provider.
	Waiting string `json:"waiting_on"`
}

// Overdue returns the cases past their deadline at now, most late first:
// opened or received cases past AnswerBy, accepted or narrowed cases past
// ExecuteBy.
func Overdue(cases []*Case, now time.Time) []OverdueCase {
	var out []OverdueCase
	for _, c := range cases {
		switch c.State {
		case Opened, Received:
			if !now.Before(c.AnswerBy) {
				out = append(out, OverdueCase{Case: c.ID, State: c.State, Deadline: DeadlineAnswer, Due: c.AnswerBy, Late: now.Sub(c.AnswerBy), Waiting: c.RequestedState})
			}
		case Accepted, Narrowed:
			if !now.Before(c.ExecuteBy) {
				out = append(out, OverdueCase{Case: c.ID, State: c.State, Deadline: DeadlineExecution, Due: c.ExecuteBy, Late: now.Sub(c.ExecuteBy), Waiting: c.Provider})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Late != out[j].Late {
			return out[i].Late > out[j].Late
		}
		return out[i].Case < out[j].Case
	})
	return out
}

// Overdue lists the stored cases past their deadline at now.
func (s *Service) Overdue(ctx context.Context, now time.Time) ([]OverdueCase, error) {
	cases, err := s.Cases.List(ctx)
	if err != nil {
		return nil, locale.Errorf("list cases: %v", err)
	}
	return Overdue(cases, now), nil
}
