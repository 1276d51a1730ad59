package approval

import (
	"fmt"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
)

// askRecord is the private record behind a request's approval entry.
type askRecord struct {
	ID               string `json:"id"`
	Requester        string `json:"requester"`
	OnBehalfOf       string `json:"on_behalf_of,omitempty"`
	Holder           string `json:"holder"`
	Decision         string `json:"decision"`
	RequestedSeconds int64  `json:"requested_seconds"`
}

// answerRecord is the private record behind an answer's approval entry:
// the signed envelope.
type answerRecord struct {
	ID       string         `json:"id"`
	Envelope model.Envelope `json:"envelope"`
}

// entry builds the public part shared by a request's and an answer's
// entries: codes only.
func (r *Request) entry(e *ledger.Entry, outcome string, refers uint64) error {
	e.Subject = r.Dataset
	e.Action = r.Action
	e.Purpose = r.Purpose
	e.Categories = r.Categories
	e.Location = r.location
	party := r.party
	e.Requester = &party
	e.Rules = r.Rules
	e.Outcome = outcome
	e.Refers = &refers
	for _, m := range r.Measures {
		e.Requires = append(e.Requires, "measure:"+m)
	}
	if err := e.Validate(); err != nil {
		return fmt.Errorf("approval %s: log entry: %w", r.ID, err)
	}
	return nil
}

// askEntry is the approval entry recording that r was asked: outcome
// pending, refers to the decision's index.
func (r *Request) askEntry(at time.Time) (ledger.Entry, ledger.Private, error) {
	e, p, err := ledger.NewRecord(ledger.KindApproval, at, askRecord{ID: r.ID, Requester: r.Requester, OnBehalfOf: r.OnBehalfOf,
		Holder: r.Holder, Decision: r.Decision, RequestedSeconds: r.RequestedSeconds})
	if err != nil {
		return ledger.Entry{}, ledger.Private{}, err
	}
	if err := r.entry(&e, string(model.Pending), r.DecisionIndex); err != nil {
		return ledger.Entry{}, ledger.Private{}, err
	}
	return e, p, nil
}

// answerEntry is the approval entry recording an answer: outcome allow or
// deny, refers to the request's entry, digest of the signed statement.
func (r *Request) answerEntry(a *Answer) (ledger.Entry, ledger.Private, error) {
	e, p, err := ledger.NewRecord(ledger.KindApproval, a.Time, answerRecord{ID: r.ID, Envelope: a.Envelope})
	if err != nil {
		return ledger.Entry{}, ledger.Private{}, err
	}
	e.Digest = a.Digest
	outcome := string(model.Deny)
	if a.Outcome == StatusApproved {
		outcome = string(model.Allow)
	}
	if err := r.entry(&e, outcome, r.LogIndex); err != nil {
		return ledger.Entry{}, ledger.Private{}, err
	}
	return e, p, nil
}
