// Package approval is the data holder's consent (GDSI commitment 7's
// customer approval; issue 13, item 4): a request waiting on an approval
// is asked of the dataset's holder, who approves it for a while, denies it,
// or lets it lapse.
//
// Its promises, each kept by the server and never by the requester:
//
//   - An approval request is made by the server, for a binding decision
//     left pending on a measure a pack marks as an approval
//     (policy.Rule.Approval), or on a requester's ask naming such a
//     decision of its own. It records who asks (the requester's registered
//     principal), for what (dataset, action, purpose, categories, and the
//     principal acted for), why (the ids of the rules that wait on it) and
//     for how long (a requested duration, at most MaxDuration). Nothing
//     in it is free text from a request.
//   - Only the approver of the dataset's catalogued holder answers it: a
//     token with the API role approver bound to the holder principal. The
//     requester never can, even when it also holds the dataset; nor can
//     an operator or an admin.
//   - A request not answered within LapseAfter (12 hours) of its creation,
//     by the server's clock, lapses: it can no longer be approved.
//   - An answer is a DSSE-signed statement (Statement, PayloadType) made
//     with the server's approval key, appended to the log as an approval
//     entry and durable there BEFORE it is stored; an answer that was
//     logged but could not be stored is voided on the log.
//   - An approval counts for a binding decision (Grants) only while it is
//     unexpired, its signature verifies, and the decision is the
//     requester's own, on the same dataset, action, purpose and
//     principal acted for, with categories within those approved, and the
//     dataset is still held by the principal that approved.
//
// Log entries of kind approval carry codes and digests only: the dataset
// id, action, purpose, categories, the requester's kind, role and state,
// the rule ids, the outcome (pending for a request, allow or deny for an
// answer), the index of the entry they follow (the decision a request
// comes from; the request an answer answers) and, for an answer, the
// SHA-256 of the signed statement. Principal ids and the statement itself
// are in the private record only.
package approval

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// The statuses of an approval request. Pending, approved and denied are
// stored; lapsed and expired are what pending and approved become with
// time.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusDenied   = "denied"
	// StatusLapsed: pending for LapseAfter without an answer.
	StatusLapsed = "lapsed"
	// StatusExpired: approved, and past its expiry.
	StatusExpired = "expired"
)

// Statuses lists every status, in the order documented.
var Statuses = []string{StatusPending, StatusApproved, StatusDenied, StatusLapsed, StatusExpired}

// Bounds on time.
const (
	// LapseAfter is how long a request waits for an answer.
	LapseAfter = 12 * time.Hour
	// DefaultDuration is the duration asked for when none is given.
	DefaultDuration = 8 * time.Hour
	// MinDuration and MaxDuration bound a requested or granted duration.
	MinDuration = time.Minute
	MaxDuration = 7 * 24 * time.Hour
)

// Errors. Each means the action was refused and nothing was written.
var (
	// ErrNotFound: no approval request with that id (404).
	ErrNotFound = errors.New("no such approval request")
	// ErrForbidden: the caller may not answer (or see) this request: it
	// is not the dataset holder's approver, or it is the requester (403).
	ErrForbidden = errors.New("not the data holder's approver")
	// ErrAnswered: the request was approved or denied already (409).
	ErrAnswered = errors.New("approval request already answered")
	// ErrLapsed: the request was not answered within LapseAfter (409).
	ErrLapsed = errors.New("approval request lapsed")
	// ErrStale: the request changed since the caller read it (If-Match
	// named another version, or another answer came first) (412).
	ErrStale = errors.New("approval request changed")
	// ErrNoApprover: the dataset has no catalogued holder, or is held by
	// the requester itself: nobody else can approve (409).
	ErrNoApprover = errors.New("no data holder other than the requester can approve")
	// ErrNotAsking: the decision named does not wait on an approval, or is
	// not the caller's (409).
	ErrNotAsking = errors.New("decision does not wait on an approval")
	// ErrBadDuration: a duration outside MinDuration..MaxDuration (400).
	ErrBadDuration = errors.New("duration out of bounds")
)

// Request is an approval request and, once answered, its answer. It is
// what GET /v1/approvals/{id} shows.
type Request struct {
	// ID names the request: "apr-" and 32 hex digits.
	ID string `json:"id"`
	// Status is one of Statuses, as of the time it was read.
	Status string `json:"status"`
	// Requester is the id of the principal that asks; OnBehalfOf the id
	// of the principal it acts for, if any.
	Requester  string `json:"requester"`
	OnBehalfOf string `json:"on_behalf_of,omitempty"`
	// Holder is the id of the dataset's catalogued holder when asked: the
	// principal whose approver answers.
	Holder string `json:"holder"`
	// Dataset, Action, Purpose and Categories say what is asked for.
	Dataset    string   `json:"dataset"`
	Action     string   `json:"action"`
	Purpose    string   `json:"purpose"`
	Categories []string `json:"categories"`
	// Measures are the approval measures asked for (customer-approval).
	Measures []string `json:"measures"`
	// Rules are the ids of the rules that wait on the approval: why.
	Rules []string `json:"rules"`
	// Decision is the id of the decision that asked, DecisionIndex its
	// log index.
	Decision      string `json:"decision"`
	DecisionIndex uint64 `json:"decision_index"`
	// RequestedSeconds is how long the requester asks the approval to
	// last.
	RequestedSeconds int64 `json:"requested_seconds"`
	// Created is when the request was made; Lapses when it lapses
	// without an answer (Created + LapseAfter). Server clock.
	Created time.Time `json:"created"`
	Lapses  time.Time `json:"lapses"`
	// LogIndex is the index of the approval entry recording the request.
	LogIndex uint64 `json:"log_index"`
	// Answer is the holder's answer, once given.
	Answer *Answer `json:"answer,omitempty"`
	// Version counts the writes of the request (the ETag is "v<Version>").
	Version uint64 `json:"version"`

	// requester is the public view of who asks (for the log entries).
	party    ledger.Party
	location string
	salts    [2][]byte
}

// Answer is the holder's answer to a request.
type Answer struct {
	// Outcome is approved or denied.
	Outcome string `json:"outcome"`
	// Approver is the id of the principal that answered (the holder).
	Approver string `json:"approver"`
	// Time is when it answered; Expires, for an approval, when it stops
	// counting; GrantedSeconds the duration granted.
	Time           time.Time  `json:"time"`
	Expires        *time.Time `json:"expires,omitempty"`
	GrantedSeconds int64      `json:"granted_seconds,omitempty"`
	// LogIndex is the index of the approval entry recording the answer.
	LogIndex uint64 `json:"log_index"`
	// Digest is the hex SHA-256 of the signed statement's payload: what
	// the log entry records of it.
	Digest string `json:"digest"`
	// Envelope is the DSSE envelope of the signed Statement.
	Envelope model.Envelope `json:"envelope"`
}

// stored is a Request as the store keeps it (Doc): with the fields the
// API does not show.
type stored struct {
	Request
	Party       ledger.Party `json:"party"`
	Location    string       `json:"location,omitempty"`
	RequestSalt []byte       `json:"request_salt"`
	AnswerSalt  []byte       `json:"answer_salt,omitempty"`
}

// row is r as the store keeps it: its columns and its document.
func (r *Request) row() (store.Approval, error) {
	doc, err := json.Marshal(stored{Request: *r, Party: r.party, Location: r.location, RequestSalt: r.salts[0], AnswerSalt: r.salts[1]})
	if err != nil {
		return store.Approval{}, fmt.Errorf("approval %s: encode: %w", r.ID, err)
	}
	return store.Approval{ID: r.ID, Requester: r.Requester, Holder: r.Holder, Dataset: r.Dataset,
		Status: r.storedStatus(), Created: r.Created, Version: r.Version, Doc: doc}, nil
}

func decode(row store.Approval) (*Request, error) {
	var s stored
	if err := json.Unmarshal(row.Doc, &s); err != nil {
		return nil, fmt.Errorf("approval %s: stored document: %w", row.ID, err)
	}
	r := s.Request
	r.party, r.location, r.salts = s.Party, s.Location, [2][]byte{s.RequestSalt, s.AnswerSalt}
	r.Version = row.Version
	if r.ID != row.ID || r.Requester != row.Requester || r.Holder != row.Holder || r.Dataset != row.Dataset {
		return nil, fmt.Errorf("approval %s: stored document does not match its row", row.ID)
	}
	return &r, nil
}

// StatusAt is the request's status at t: a pending request lapses at
// Lapses, an approval expires at its Expires.
func (r *Request) StatusAt(t time.Time) string {
	if r.Answer == nil {
		if !t.Before(r.Lapses) {
			return StatusLapsed
		}
		return StatusPending
	}
	if r.Answer.Outcome == StatusApproved && r.Answer.Expires != nil && !t.Before(*r.Answer.Expires) {
		return StatusExpired
	}
	return r.Answer.Outcome
}

// storedStatus is the status the store keeps.
func (r *Request) storedStatus() string {
	if r.Answer == nil {
		return StatusPending
	}
	return r.Answer.Outcome
}

// ETag is the request's entity tag.
func (r *Request) ETag() string { return fmt.Sprintf(`"v%d"`, r.Version) }

// NewID returns a fresh approval request id.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return "apr-" + hex.EncodeToString(b[:])
}

// Store is what the service keeps requests in.
type Store interface {
	store.Approvals
}

// Catalog gives a dataset's catalogued labels and holder.
type Catalog interface {
	Dataset(ctx context.Context, id string) (store.Dataset, error)
}

// Log is the transparency log; *ledger.Log implements it.
type Log interface {
	Append(ctx context.Context, e ledger.Entry) (uint64, error)
}

// Config is what a Service needs. Every field but Now is required.
type Config struct {
	Store   Store
	Catalog Catalog
	Log     Log
	// Key signs answers; its public half verifies them.
	Key ed25519.PrivateKey
	// Measures gives the approval measures of the packs in force, each
	// with the rules that require it (policy.Engine.ApprovalMeasures).
	Measures func() map[string][]string
	// Now is the server's clock (time.Now when nil).
	Now func() time.Time
}

// Service makes, answers and looks up approval requests. It is safe for
// concurrent use.
type Service struct {
	cfg   Config
	pub   ed25519.PublicKey
	keyID string
}

// New returns the service for cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Catalog == nil || cfg.Log == nil || cfg.Measures == nil {
		return nil, errors.New("approval: Store, Catalog, Log and Measures are required")
	}
	if len(cfg.Key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("approval: signing key has %d bytes, want %d", len(cfg.Key), ed25519.PrivateKeySize)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	pub := cfg.Key.Public().(ed25519.PublicKey)
	id, err := keyID(pub)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, pub: pub, keyID: id}, nil
}

// PublicKey is the key answers verify with.
func (s *Service) PublicKey() ed25519.PublicKey { return s.pub }

// Measures returns the approval measures in force (server-owned).
func (s *Service) Measures() map[string][]string { return s.cfg.Measures() }

// now is the server's clock, to the second.
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Second) }

// Get returns one request with its status as of now.
func (s *Service) Get(ctx context.Context, id string) (*Request, error) {
	row, err := s.cfg.Store.Approval(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	r, err := decode(row)
	if err != nil {
		return nil, err
	}
	r.Status = r.StatusAt(s.now())
	return r, nil
}

// Filter selects requests for List; an empty field matches every value.
type Filter struct {
	Requester, Holder, Dataset string
	// Status is one of Statuses.
	Status string
}

// List returns the requests f selects, oldest first, with their status
// as of now.
func (s *Service) List(ctx context.Context, f Filter) ([]*Request, error) {
	q := store.ApprovalQuery{Requester: f.Requester, Holder: f.Holder, Dataset: f.Dataset}
	switch f.Status {
	case "":
	case StatusPending, StatusLapsed:
		q.Status = StatusPending
	case StatusApproved, StatusExpired:
		q.Status = StatusApproved
	case StatusDenied:
		q.Status = StatusDenied
	default:
		return nil, fmt.Errorf("status %q is not one of %v", f.Status, Statuses)
	}
	rows, err := s.cfg.Store.ListApprovals(ctx, q)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]*Request, 0, len(rows))
	for _, row := range rows {
		r, err := decode(row)
		if err != nil {
			return nil, err
		}
		r.Status = r.StatusAt(now)
		if f.Status == "" || r.Status == f.Status {
			out = append(out, r)
		}
	}
	return out, nil
}

// sortedSet returns the sorted, de-duplicated copy of xs.
func sortedSet(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}
