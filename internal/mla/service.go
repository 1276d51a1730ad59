package mla

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
)

// Appender appends an event to the transparency log and returns its index.
// The ledger implements it through a small adapter. kind is the event kind
// ("mla.opened", ...); summary holds ids, codes, counts and times only.
type Appender interface {
	Append(ctx context.Context, kind string, summary map[string]any) (uint64, error)
}

// Errors a Cases implementation returns.
var (
	// ErrNotFound: no case with that id.
	ErrNotFound = locale.Errorf("case not found")
	// ErrConflict: the case changed since it was read (another writer won).
	// Read it again and retry, or answer 409.
	ErrConflict = locale.Errorf("case changed concurrently")
	// ErrExists: a case with that id already exists.
	ErrExists = locale.Errorf("case already exists")
)

// Cases stores cases with optimistic concurrency.
type Cases interface {
	// Get returns a copy of the case, or ErrNotFound.
	Get(ctx context.Context, id string) (*Case, error)
	// Put stores c if the stored version is c.Version-1 (a new case has
	// Version 1 and must not exist: ErrExists). Otherwise ErrConflict.
	Put(ctx context.Context, c *Case) error
	// List returns copies of every case, sorted by id.
	List(ctx context.Context) ([]*Case, error)
}

// Agreements tells the service which states are party to an agreement; the
// registry implements it. Optional.
type Agreements interface {
	AgreementParties(id string) []string
}

// LogGrace is how long a writer that stored a transition has to append its
// event before another writer may take the append over. Meanwhile other
// transitions on the case fail with ErrBusy.
const LogGrace = 30 * time.Second

// ErrBusy: another writer is appending the case's last step to the log.
// Retry shortly (answer 409 or 503 with Retry-After). It wraps ErrConflict.
var ErrBusy = locale.Errorf("%v: a transition is being logged", ErrConflict)

// Service runs case transitions against a store and the log. A transition
// is checked on the stored case and stored first (the version check makes
// the writer the only one to move the case from that version); then the
// writer appends its event to the log and records the log index.
//
// No case moves on while a step is unlogged: the next transition fails
// with ErrBusy until the step is logged. If the append fails (the step is
// marked so) or the writer goes away (LogGrace passes), the next writer
// claims the step, appends it, then makes its own transition. So the log
// shows every move, in order. A writer that dies between a successful
// append and recording the index leaves the step to be appended again
// after LogGrace: events carry the case id and step number, so a reader
// can tell the duplicate.
type Service struct {
	// Cases stores the cases. Required.
	Cases Cases
	// Log receives one event per transition. Required.
	Log Appender
	// Deadlines sets each agreement's terms.
	Deadlines Deadlines
	// Agreements, when set, checks that both states are party to the
	// agreement a case relies on.
	Agreements Agreements
	// Now gives the time (truncated to the second); nil = time.Now.
	Now func() time.Time
}

// now returns the time, to the second: log entries are timed to the second,
// and so are the deadlines and authorization windows derived from it.
func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Second)
	}
	return time.Now().UTC().Truncate(time.Second)
}

// Open opens a case (see Open) and logs it.
func (s *Service) Open(ctx context.Context, by model.Principal, spec OpenSpec) (*Case, error) {
	if s.Agreements != nil && spec.Agreement != "" {
		parties := s.Agreements.AgreementParties(spec.Agreement)
		if !slices.Contains(parties, by.Jurisdiction) || !slices.Contains(parties, spec.RequestedState) {
			return nil, locale.Errorf("%v: agreement %q does not bind both %s and %s (parties: %v)", ErrInvalid, spec.Agreement, by.Jurisdiction, spec.RequestedState, parties)
		}
	}
	now := s.now()
	c, _, err := Open(spec, by, now, s.Deadlines.For(spec.Agreement))
	if err != nil {
		return nil, err
	}
	c.History[0].LogAttempt = now
	c.Version = 1
	if err := s.Cases.Put(ctx, c); err != nil {
		return nil, locale.Errorf("open case %s: %v", c.ID, err)
	}
	return c, s.logPending(ctx, c)
}

// Receive, Accept, Narrow, Refuse, Execute and Close load the case, make
// the transition of the same name and log it.

// Receive records receipt by the requested state's central authority.
func (s *Service) Receive(ctx context.Context, id string, by model.Principal) (*Case, error) {
	return s.apply(ctx, id, func(c *Case, at time.Time) error { _, err := c.Receive(by, at); return err })
}

// Accept accepts the case as requested.
func (s *Service) Accept(ctx context.Context, id string, by model.Principal) (*Case, error) {
	return s.apply(ctx, id, func(c *Case, at time.Time) error { _, err := c.Accept(by, at); return err })
}

// Narrow accepts the case with a narrower scope.
func (s *Service) Narrow(ctx context.Context, id string, by model.Principal, scope authz.Scope) (*Case, error) {
	return s.apply(ctx, id, func(c *Case, at time.Time) error { _, err := c.Narrow(by, at, scope); return err })
}

// Refuse refuses the case on a ground from RefusalGrounds.
func (s *Service) Refuse(ctx context.Context, id string, by model.Principal, ground string) (*Case, error) {
	return s.apply(ctx, id, func(c *Case, at time.Time) error { _, err := c.Refuse(by, at, ground); return err })
}

// Execute records the provider's execution of the case under the request
// req, decided as decision, with authorized the states whose authorization
// covers req. Third-state exclusion is computed here, over the case's
// parties.
func (s *Service) Execute(ctx context.Context, id string, by model.Principal, req *model.Request, authorized []string, decision string) (*Case, error) {
	return s.apply(ctx, id, func(c *Case, at time.Time) error {
		x := Exclude(req, c.Parties(), authorized)
		_, err := c.Execute(by, at, req, x, decision)
		return err
	})
}

// Close closes the case.
func (s *Service) Close(ctx context.Context, id string, by model.Principal) (*Case, error) {
	return s.apply(ctx, id, func(c *Case, at time.Time) error { _, err := c.Close(by, at); return err })
}

// Get returns a case.
func (s *Service) Get(ctx context.Context, id string) (*Case, error) {
	return s.Cases.Get(ctx, id)
}

// apply loads the case, takes over any step left unlogged (if it may),
// makes the transition, stores it and logs it.
func (s *Service) apply(ctx context.Context, id string, move func(*Case, time.Time) error) (*Case, error) {
	c, err := s.Cases.Get(ctx, id)
	if err != nil {
		return nil, locale.Errorf("case %s: %v", id, err)
	}
	now := s.now()
	if unlogged(c) {
		if err := s.claim(ctx, c, now); err != nil {
			return nil, err
		}
		if err := s.logPending(ctx, c); err != nil {
			return nil, err
		}
	}
	if err := move(c, now); err != nil {
		return nil, err
	}
	c.History[len(c.History)-1].LogAttempt = now
	c.Version++
	if err := s.Cases.Put(ctx, c); err != nil {
		return nil, locale.Errorf("case %s: %v", id, err)
	}
	return c, s.logPending(ctx, c)
}

func unlogged(c *Case) bool {
	for _, st := range c.History {
		if st.LogIndex == nil {
			return true
		}
	}
	return false
}

// claim takes over the unlogged steps of c, if their writer failed or
// LogGrace has passed, by storing a new attempt time (the version check
// lets only one writer win).
func (s *Service) claim(ctx context.Context, c *Case, now time.Time) error {
	for i := range c.History {
		st := &c.History[i]
		if st.LogIndex != nil {
			continue
		}
		if !st.LogFailed && now.Sub(st.LogAttempt) < LogGrace {
			return locale.Errorf("case %s: step %s (%s): %v", c.ID, strconv.Itoa(i+1), st.To, ErrBusy)
		}
		st.LogAttempt, st.LogFailed = now, false
	}
	c.Version++
	if err := s.Cases.Put(ctx, c); err != nil {
		return locale.Errorf("case %s: %v", c.ID, err)
	}
	return nil
}

// logPending appends, in order, the events of the steps this writer has
// claimed (every unlogged step), and stores their indexes — or, when an
// append fails, marks the step failed so the next writer may retry at once.
func (s *Service) logPending(ctx context.Context, c *Case) error {
	for i := range c.History {
		st := &c.History[i]
		if st.LogIndex != nil {
			continue
		}
		idx, err := s.Log.Append(ctx, st.Event.Kind, st.Event.Summary)
		if err != nil {
			st.LogFailed = true
			_ = s.store(ctx, c) // best effort: without it the claim lapses after LogGrace
			return locale.Errorf("case %s: log %s: %v", c.ID, st.Event.Kind, err)
		}
		st.LogIndex = &idx
	}
	return s.store(ctx, c)
}
func (s *Service) store(ctx context.Context, c *Case) error {
	c.Version++
	if err := s.Cases.Put(ctx, c); err != nil {
		c.Version--
		return locale.Errorf("case %s: record log index: %v", c.ID, err)
	}
	return nil
}
