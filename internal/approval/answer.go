package approval

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/accord-dev/accord/internal/store"
)

// Answerer is who answers a request: the principal bound to the caller's
// credential and the API role it grants. Never taken from a body.
type Answerer struct {
	Principal string
	Role      string
}

// Answering is one answer to give.
type Answering struct {
	// ID is the request's id.
	ID string
	// Outcome is StatusApproved or StatusDenied.
	Outcome string
	// By is who answers.
	By Answerer
	// Duration, for an approval, is how long it lasts from now (0: the
	// duration requested); at most MaxDuration.
	Duration time.Duration
	// Version, when not 0, is the version the caller read (If-Match):
	// ErrStale if the request is at another.
	Version uint64
}

// Answer approves or denies a pending request. Only the approver of the
// request's holder may (ErrForbidden): a token with the role approver
// bound to the holder principal, which is neither the requester nor
// whom it acts for, and which the catalog still names as the dataset's
// holder. A request answered already (ErrAnswered) or lapsed (ErrLapsed)
// cannot be answered. The answer is signed, logged (durable) and then
// stored; if storing fails, its log entry is voided and ErrStale or the
// store's error is returned.
func (s *Service) Answer(ctx context.Context, a Answering) (*Request, error) {
	if a.Outcome != StatusApproved && a.Outcome != StatusDenied {
		return nil, fmt.Errorf("answer %q: want %s or %s", a.Outcome, StatusApproved, StatusDenied)
	}
	if a.Outcome == StatusDenied && a.Duration != 0 {
		return nil, fmt.Errorf("%w: a denial takes no duration", ErrBadDuration)
	}
	r, err := s.Get(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if a.Version != 0 && a.Version != r.Version {
		return nil, fmt.Errorf("%w: %s is at version %d, not %d", ErrStale, r.ID, r.Version, a.Version)
	}
	switch {
	case a.By.Role != store.RoleApprover:
		return nil, fmt.Errorf("%w: only a token with the role %s, bound to the dataset's holder %s, answers %s (this one has the role %s)", ErrForbidden, store.RoleApprover, r.Holder, r.ID, a.By.Role)
	case a.By.Principal == r.Requester || (r.OnBehalfOf != "" && a.By.Principal == r.OnBehalfOf):
		return nil, fmt.Errorf("%w: %s asked for %s and cannot approve its own request", ErrForbidden, a.By.Principal, r.ID)
	case a.By.Principal != r.Holder:
		return nil, fmt.Errorf("%w: %s is answered by the approver of %s, the holder of dataset %s, not %s", ErrForbidden, r.ID, r.Holder, r.Dataset, a.By.Principal)
	}
	ds, err := s.cfg.Catalog.Dataset(ctx, r.Dataset)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("approval %s: dataset %s: %w", r.ID, r.Dataset, err)
	}
	if err != nil || ds.Holder != r.Holder {
		return nil, fmt.Errorf("%w: dataset %s is no longer held by %s", ErrForbidden, r.Dataset, r.Holder)
	}
	now := s.now()
	switch r.StatusAt(now) {
	case StatusLapsed:
		return nil, fmt.Errorf("%w: %s was not answered by %s", ErrLapsed, r.ID, r.Lapses.Format(time.RFC3339))
	case StatusPending:
	default:
		return nil, fmt.Errorf("%w: %s is %s", ErrAnswered, r.ID, r.Answer.Outcome)
	}
	st := &Statement{ID: r.ID, Outcome: a.Outcome, Approver: a.By.Principal, Requester: r.Requester, OnBehalfOf: r.OnBehalfOf,
		Dataset: r.Dataset, Action: r.Action, Purpose: r.Purpose, Categories: r.Categories, Measures: r.Measures,
		RequestIndex: r.LogIndex, Issued: now}
	ans := &Answer{Outcome: a.Outcome, Approver: a.By.Principal, Time: now}
	if a.Outcome == StatusApproved {
		d := a.Duration
		if d == 0 {
			d = time.Duration(r.RequestedSeconds) * time.Second
		}
		if err := checkDuration(d); err != nil {
			return nil, err
		}
		exp := now.Add(d)
		st.Expires, ans.Expires, ans.GrantedSeconds = exp, &exp, int64(d/time.Second)
	}
	if ans.Envelope, ans.Digest, err = s.sign(ctx, st); err != nil {
		return nil, err
	}
	e, p, err := r.answerEntry(ans)
	if err != nil {
		return nil, err
	}
	// Logged before it takes effect: the store is written only once the
	// answer's entry is durable.
	idx, err := s.cfg.Log.Append(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("approval %s: append answer to log: %w", r.ID, err)
	}
	ans.LogIndex = idx
	prev := r.Version
	r.Answer, r.salts[1], r.Version = ans, p.Salt, prev+1
	row, err := r.row()
	if err == nil {
		err = s.cfg.Store.UpdateApproval(ctx, row, prev)
	}
	if err != nil {
		s.void(ctx, idx, now)
		if errors.Is(err, store.ErrPrecondition) {
			return nil, fmt.Errorf("%w: another answer to %s came first (log index %d voided)", ErrStale, r.ID, idx)
		}
		return nil, fmt.Errorf("approval %s (log index %d, voided): store: %w", r.ID, idx, err)
	}
	r.Status = r.StatusAt(now)
	return r, nil
}
