package store

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
)

// Approvals keeps the data holders' approval requests and their answers
// (package approval). It is separate from Store: a driver that implements
// it says so by satisfying it (both sqlite and postgres do).
type Approvals interface {
	// CreateApproval stores a new approval request; ErrConflict if its id
	// exists, ErrInvalid if a required field is empty.
	CreateApproval(ctx context.Context, a Approval) error
	// Approval returns one approval request; ErrNotFound if there is none.
	Approval(ctx context.Context, id string) (Approval, error)
	// ListApprovals returns the approval requests q selects, ordered by
	// creation time then id.
	ListApprovals(ctx context.Context, q ApprovalQuery) ([]Approval, error)
	// UpdateApproval replaces the status and document of approval a.ID if
	// its version is still prev, and stores a.Version (which must be
	// prev+1): ErrNotFound if there is none, ErrPrecondition if another
	// write came first. Nothing is written on error.
	UpdateApproval(ctx context.Context, a Approval, prev uint64) error
}

// Approval is one approval request as stored: the columns queries select
// on, and the whole request (package approval's document) as JSON.
type Approval struct {
	// ID names the request ("apr-" and 32 hex digits).
	ID string `json:"id"`
	// Requester is the id of the principal that asks.
	Requester string `json:"requester"`
	// Holder is the id of the dataset's holder when the request was made:
	// the only principal whose approver may answer it.
	Holder string `json:"holder"`
	// Dataset is the catalog id of the dataset concerned.
	Dataset string `json:"dataset"`
	// Status is the stored status: pending, approved or denied (lapsed
	// and expired are computed from Doc's times when read).
	Status string `json:"status"`
	// Created is when the request was made (server clock).
	Created time.Time `json:"created"`
	// Version counts the writes of the request, from 1.
	Version uint64 `json:"version"`
	// Doc is the request and its answer (JSON), as package approval
	// encodes it.
	Doc []byte `json:"doc"`
}

// ApprovalQuery selects approval requests; an empty field matches every
// value.
type ApprovalQuery struct {
	Requester string
	Holder    string
	Dataset   string
	// Status is a stored status (pending, approved, denied).
	Status string
}

// SQL is the query of ListApprovals, for drivers: it selects id,
// requester, holder, dataset, status, created, version and doc of the
// approvals q selects, ordered by creation time then id. arg returns the
// placeholder of the n-th argument, as SQLDialect.Arg does.
func (q ApprovalQuery) SQL(arg func(n int) string) (string, []any) {
	var (
		where []string
		args  []any
	)
	for _, f := range [...]struct{ col, v string }{{"requester", q.Requester}, {"holder", q.Holder}, {"dataset", q.Dataset}, {"status", q.Status}} {
		if f.v != "" {
			args = append(args, f.v)
			where = append(where, f.col+" = "+arg(len(args)))
		}
	}
	query := `SELECT id, requester, holder, dataset, status, created, version, doc FROM approvals`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	return query + " ORDER BY created, id", args
}

// ApprovalStatuses are the statuses an Approval may be stored with.
var ApprovalStatuses = []string{"pending", "approved", "denied"}

// ValidateUpdate checks a as the write that follows version prev: a valid
// approval whose version is prev+1.
// Drivers call it before UpdateApproval writes anything.
func (a Approval) ValidateUpdate(prev uint64) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if a.Version != prev+1 {
		return fmt.Errorf("%w: approval %s: version %d does not follow %d", ErrInvalid, a.ID, a.Version, prev)
	}
	return nil
}

// Validate reports the first rule a breaks, naming the field. Versions
// must fit a database's signed 64 bits. Drivers call it before
// CreateApproval writes anything.
func (a Approval) Validate() error {
	switch {
	case a.ID == "":
		return fmt.Errorf("%w: approval id is empty", ErrInvalid)
	case a.Requester == "":
		return fmt.Errorf("%w: approval %s: requester is empty", ErrInvalid, a.ID)
	case a.Holder == "":
		return fmt.Errorf("%w: approval %s: holder is empty", ErrInvalid, a.ID)
	case a.Dataset == "":
		return fmt.Errorf("%w: approval %s: dataset is empty", ErrInvalid, a.ID)
	case a.Status != "pending" && a.Status != "approved" && a.Status != "denied":
		return fmt.Errorf("%w: approval %s: status %q is not pending, approved or denied", ErrInvalid, a.ID, a.Status)
	case a.Created.IsZero():
		return fmt.Errorf("%w: approval %s: created is zero", ErrInvalid, a.ID)
	case a.Version == 0:
		return fmt.Errorf("%w: approval %s: version is 0", ErrInvalid, a.ID)
	case a.Version > math.MaxInt64:
		return fmt.Errorf("%w: approval %s: version out of range", ErrInvalid, a.ID)
	case len(a.Doc) == 0:
		return fmt.Errorf("%w: approval %s: doc is empty", ErrInvalid, a.ID)
	}
	return nil
}
