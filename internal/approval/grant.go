package approval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// Lookup is what the approvals on file say about one binding request.
type Lookup struct {
	// Measures are the approval measures granted, sorted: what the server
	// adds to the request's basis.measures.
	Measures []string
	// Used are the ids of the approvals that grant them.
	Used []string
	// Until is when the first of those approvals expires.
	Until time.Time
	// Open is the id of a pending, unlapsed request for the same thing,
	// or "": a new request is not needed while one is open.
	Open string
	// CanAsk says that the dataset has a catalogued holder who is neither
	// the requester nor whom it acts for: someone else can approve.
	CanAsk bool
}

// Lookup reads the dataset's holder from the catalog and, when someone
// other than the requester holds it, the approvals of req's requester on
// req's dataset at the server's time at, in one query. An approval grants its measures only if
// its signed statement verifies with the service's key, was logged
// (answered with a log index), is approved and unexpired at at, names
// this requester, principal acted for, dataset, action and purpose, covers
// every category of req, and the catalog still names its approver as the
// dataset's holder (who is neither the requester nor whom it acts for). A
// request without a catalogued dataset has no approvals.
func (s *Service) Lookup(ctx context.Context, req *model.Request, at time.Time) (Lookup, error) {
	var out Lookup
	if req.Data.Dataset == "" || req.Requester.ID == "" {
		return out, nil
	}
	ds, err := s.cfg.Catalog.Dataset(ctx, req.Data.Dataset)
	if errors.Is(err, store.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("read approvals: dataset %s: %w", req.Data.Dataset, err)
	}
	out.CanAsk = ds.Holder != "" && ds.Holder != req.Requester.ID && ds.Holder != onBehalfOf(req)
	if !out.CanAsk {
		// Nobody else can approve, so no approval can count: the
		// approvals are not read (most datasets have no holder).
		return out, nil
	}
	rows, err := s.cfg.Store.ListApprovals(ctx, store.ApprovalQuery{Requester: req.Requester.ID, Dataset: req.Data.Dataset})
	if err != nil {
		return out, fmt.Errorf("read approvals: %w", err)
	}
	for _, row := range rows {
		if row.Status != StatusApproved && row.Status != StatusPending {
			continue
		}
		r, err := decode(row)
		if err != nil {
			return out, err
		}
		if row.Status == StatusPending {
			if out.Open == "" && r.StatusAt(at) == StatusPending && r.sameAs(req) {
				out.Open = r.ID
			}
			continue
		}
		st, ok := s.grants(ctx, r, req, at)
		if !ok || st.Approver != ds.Holder {
			continue
		}
		out.Measures = append(out.Measures, st.Measures...)
		out.Used = append(out.Used, r.ID)
		if out.Until.IsZero() || st.Expires.Before(out.Until) {
			out.Until = st.Expires
		}
	}
	out.Measures = sortedSet(out.Measures)
	return out, nil
}

// grants checks that the answered request r grants req at at, from its
// signed statement (not from the stored columns).
func (s *Service) grants(ctx context.Context, r *Request, req *model.Request, at time.Time) (*Statement, bool) {
	if r.Answer == nil { // an answer is stored only once logged
		return nil, false
	}
	st, digest, err := Verify(ctx, r.Answer.Envelope, s.pub)
	if err != nil || digest != r.Answer.Digest || st.ID != r.ID || st.Outcome != StatusApproved {
		return nil, false
	}
	if st.Requester != req.Requester.ID || st.OnBehalfOf != onBehalfOf(req) || st.Dataset != req.Data.Dataset ||
		st.Action != string(req.Action) || st.Purpose != string(req.Purpose) {
		return nil, false
	}
	if at.Before(st.Issued) || !at.Before(st.Expires) {
		return nil, false
	}
	for _, c := range req.Data.Categories {
		if !slices.Contains(st.Categories, c) {
			return nil, false
		}
	}
	return st, true
}
