package custody

import (
	"bytes"
	"context"
	"crypto/hpke"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
)

// Refusal codes: the closed list of reasons a custodian gives for not
// releasing its share. Every refusal carries exactly one.
const (
	// RefuseBadRequest: the body, header or recipient key does not parse.
	RefuseBadRequest = "bad-request"
	// RefuseNotCustodian: the sealed file does not name this custodian.
	RefuseNotCustodian = "not-custodian"
	// RefuseReceiptInvalid: the receipt does not verify against the log's
	// key, or the log the custodian reads does not hold its entry.
	RefuseReceiptInvalid = "receipt-invalid"
	// RefuseUnwitnessed: the custodian has a witness policy and the log's
	// checkpoint is not cosigned by its quorum.
	RefuseUnwitnessed = "unwitnessed"
	// RefuseRecordInvalid: the private record does not hash to the entry's
	// record_hash, or does not decode.
	RefuseRecordInvalid = "record-invalid"
	// RefuseNotAllow: the entry is not a binding decision whose outcome is
	// allow.
	RefuseNotAllow = "not-allow"
	// RefuseWrongDataset: the decision is about another dataset (or other
	// labels) than the sealed file.
	RefuseWrongDataset = "wrong-dataset"
	// RefuseWrongRequester: the decision names no recipient key, or
	// another one than the request.
	RefuseWrongRequester = "wrong-requester"
	// RefuseWrongAction: the decision's action does not release data
	// (only access, transfer and disclose do).
	RefuseWrongAction = "wrong-action"
	// RefuseExpired: the decision is older than the window by the
	// custodian's clock (or dated in its future).
	RefuseExpired = "expired"
	// RefuseVoided: a void entry in the log names the decision.
	RefuseVoided = "voided"
	// RefuseLogUnreachable: the decision log could not be read.
	RefuseLogUnreachable = "log-unreachable"
	// RefuseVetoed: the custodian's own check (Veto) refused.
	RefuseVetoed = "vetoed"
	// RefuseShareInvalid: the custodian's share in the file does not open
	// or does not match the commitments.
	RefuseShareInvalid = "share-invalid"
	// RefuseReleaseUnlogged: the custodian's own release entry could not
	// be made durable.
	RefuseReleaseUnlogged = "release-unlogged"
)

// Refusals lists every refusal code.
var Refusals = []string{RefuseBadRequest, RefuseNotCustodian, RefuseReceiptInvalid, RefuseUnwitnessed, RefuseRecordInvalid, RefuseNotAllow, RefuseWrongDataset, RefuseWrongRequester, RefuseWrongAction, RefuseExpired, RefuseVoided, RefuseLogUnreachable, RefuseVetoed, RefuseShareInvalid, RefuseReleaseUnlogged}

// ReleasingActions are the actions whose allow releases a key.
var ReleasingActions = []model.Action{model.ActionAccess, model.ActionTransfer, model.ActionDisclose}

// DefaultWindow is how long after a decision a custodian still releases
// against it.
const DefaultWindow = 15 * time.Minute

// maxSkew is how far in the custodian's future a decision may be dated
// (clocks of separate machines differ a little).
const maxSkew = time.Minute

// maxReleaseBody bounds a release request.
const maxReleaseBody = 2 << 20

// ReleaseRequest is the body of POST /v1/release.
type ReleaseRequest struct {
	// Header is the sealed file's header bytes (Header.Raw).
	Header []byte `json:"header"`
	// Receipt is the decision's receipt from the decision log.
	Receipt *ledger.Receipt `json:"receipt"`
	// Private is the decision's private record and salt, as
	// GET /v1/decisions/{id} returns it.
	Private *ledger.Private `json:"private"`
	// Recipient is the requester's HPKE public key (standard base64); it
	// must be the decision's request.recipient.
	Recipient string `json:"recipient"`
}

// ReleaseResponse is the answer to a release: the custodian's share,
// HPKE-sealed to the recipient.
type ReleaseResponse struct {
	// Custodian is the custodian's id in the header.
	Custodian string `json:"custodian"`
	// Index is its position in the header.
	Index int `json:"index"`
	// Share is the share sealed to the recipient (see OpenRelease).
	Share []byte `json:"share"`
	// ReleaseIndex is the index of the release entry in the custodian's
	// release log.
	ReleaseIndex uint64 `json:"release_index"`
}

// Refusal is a custodian's answer when it does not release.
type Refusal struct {
	// Code is one of Refusals.
	Code string `json:"code"`
	// Detail says what failed, for the requester.
	Detail string `json:"detail"`
	// Custodian names who refused (filled in by the client).
	Custodian string `json:"custodian,omitempty"`
}

// Error implements error.
func (r *Refusal) Error() string {
	if r.Custodian != "" {
		return fmt.Sprintf("custodian %s refused (%s): %s", r.Custodian, r.Code, r.Detail)
	}
	return fmt.Sprintf("refused (%s): %s", r.Code, r.Detail)
}

func refuse(code, format string, args ...any) *Refusal {
	return &Refusal{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Veto is a custodian's own check, run after every other check has passed:
// for example the location state's custodian evaluating its own packs. A
// non-nil error refuses the release (RefuseVetoed) with the error as
// detail.
type Veto interface {
	Veto(ctx context.Context, r *Release) error
}

// VetoFunc adapts a function to Veto.
type VetoFunc func(ctx context.Context, r *Release) error

// Veto calls f.
func (f VetoFunc) Veto(ctx context.Context, r *Release) error { return f(ctx, r) }

// Release is what a custodian has checked, as a Veto sees it.
type Release struct {
	// Header is the sealed file's header.
	Header *Header
	// DecisionIndex is the decision's index in the decision log.
	DecisionIndex uint64
	// Entry is the decision's public log entry.
	Entry ledger.Entry
	// Request and Decision are from the decision's private record.
	Request  *model.Request
	Decision *model.Decision
}

// Appender is where a custodian logs its releases: a *ledger.Log returns
// once the entry is durable.
type Appender interface {
	Append(ctx context.Context, e ledger.Entry) (uint64, error)
}

// CustodianConfig configures a Custodian.
type CustodianConfig struct {
	// ID names the custodian in its logs.
	ID string
	// Key is the custodian's HPKE private key.
	Key hpke.PrivateKey
	// Log is the decision log's public files; Verifier and Origin check
	// its checkpoints.
	Log      ledger.Source
	Verifier note.Verifier
	Origin   string
	// Witnesses, when set, must be satisfied by the log's checkpoint (its
	// witness cosignatures): a tessera.WitnessGroup from
	// ledger.ParseWitnessPolicy. Without it, the log's own signature is
	// enough.
	Witnesses interface{ Satisfied(checkpoint []byte) bool }
	// Releases is the custodian's own release log. Required: a release
	// that is not logged does not happen.
	Releases Appender
	// Records, when set, receives each release's private record (JSON
	// line) after the entry is durable, for auditors; if it fails, the
	// share is not released.
	Records io.Writer
	// Now is the custodian's clock (time.Now).
	Now func() time.Time
	// Window is how long after a decision it may be released against
	// (DefaultWindow).
	Window time.Duration
	// Veto is the custodian's own check (optional).
	Veto Veto
	// Logger receives one line per answer: code and indexes, never request
	// content.
	Logger *slog.Logger
}

// Custodian holds one HPKE private key and answers POST /v1/release: it
// returns its share of a sealed file's key, sealed to the requester's key,
// only against a logged, allowing, recent, unvoided decision for that file's
// dataset and that requester's key, after logging the release. It is an
// http.Handler.
type Custodian struct {
	cfg   CustodianConfig
	recMu sync.Mutex // serialises Records writes
	mu    sync.Mutex // guards the fields below

	cpRaw  string           // the last checkpoint verified
	cpSize uint64           // its size
	shares map[string]Share // opened shares by header digest

	relMu    sync.Mutex                  // guards released
	released map[releaseKey]*releaseCall // releases made, by what they release

	scanMu         sync.Mutex      // serialises void scans; guards below
	voidLo, voidHi uint64          // the log range scanned for voids
	voids          map[uint64]bool // indexes voided in that range
}

// releaseKey is what one release gives: this custodian's share of one
// sealed file (its header digest), against one logged decision (index and
// leaf hash), to one recipient key. A retry of the same release is the same
// key.
type releaseKey struct {
	index                   uint64
	leaf, header, recipient string
}

// releaseCall is a release being logged or logged: done closes when it is
// settled; resp is its answer when it was logged, nil when it failed.
type releaseCall struct {
	done chan struct{}
	resp *ReleaseResponse
}

// once makes the release of k happen at most once in this process: the
// first caller gets first=true and must call settle; a later or
// concurrent caller waits for the first and gets its answer (nil when the
// first failed, and no release is under way any more: it may try again).
func (c *Custodian) once(ctx context.Context, k releaseKey) (call *releaseCall, first bool, err error) {
	for {
		c.relMu.Lock()
		if c.released == nil {
			c.released = map[releaseKey]*releaseCall{}
		}
		prev, ok := c.released[k]
		if !ok {
			call = &releaseCall{done: make(chan struct{})}
			c.released[k] = call
			c.relMu.Unlock()
			return call, true, nil
		}
		c.relMu.Unlock()
		select {
		case <-prev.done:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
		if prev.resp != nil {
			return prev, false, nil
		}
	}
}

// settle ends the release call of k: a logged release (resp) is kept, so
// that its retries get the same answer; a failed one is forgotten.
func (c *Custodian) settle(k releaseKey, call *releaseCall, resp *ReleaseResponse) {
	c.relMu.Lock()
	if resp == nil {
		delete(c.released, k)
	}
	call.resp = resp
	c.relMu.Unlock()
	close(call.done)
}

// NewCustodian checks cfg and returns a Custodian.
func NewCustodian(cfg CustodianConfig) (*Custodian, error) {
	switch {
	case cfg.Key == nil:
		return nil, errors.New("custodian: no key")
	case cfg.Key.KEM().ID() != kem.ID():
		return nil, errors.New("custodian: key is not X25519")
	case cfg.Log == nil:
		return nil, errors.New("custodian: no decision log")
	case cfg.Verifier == nil:
		return nil, errors.New("custodian: no log verifier key")
	case cfg.Releases == nil:
		return nil, errors.New("custodian: no release log")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Custodian{cfg: cfg}, nil
}

// ServeHTTP answers POST /v1/release.
func (c *Custodian) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeRefusal(w, http.StatusMethodNotAllowed, refuse(RefuseBadRequest, "use POST"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxReleaseBody))
	if err != nil {
		writeRefusal(w, http.StatusRequestEntityTooLarge, refuse(RefuseBadRequest, "body larger than %d bytes or unreadable", maxReleaseBody))
		return
	}
	var req ReleaseRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeRefusal(w, http.StatusBadRequest, refuse(RefuseBadRequest, "body: %v", err))
		return
	}
	resp, ref := c.Release(r.Context(), &req)
	if ref != nil {
		writeRefusal(w, statusOf(ref.Code), ref)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(resp)
}

func statusOf(code string) int {
	switch code {
	case RefuseBadRequest:
		return http.StatusBadRequest
	case RefuseLogUnreachable, RefuseReleaseUnlogged:
		return http.StatusServiceUnavailable
	}
	return http.StatusForbidden
}

func writeRefusal(w http.ResponseWriter, status int, r *Refusal) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(r)
}

// decisionRecord is the private record behind a decision entry.
type decisionRecord struct {
	Request  *model.Request  `json:"request"`
	Decision *model.Decision `json:"decision"`
}

// releaseRecord is the private record behind a release entry.
type releaseRecord struct {
	Custodian     string `json:"custodian"`
	DecisionLog   string `json:"decision_log"`
	DecisionIndex uint64 `json:"decision_index"`
	DecisionLeaf  string `json:"decision_leaf"`
	Dataset       string `json:"dataset"`
	KeyID         string `json:"key_id"`
	Header        string `json:"header"`
	Recipient     string `json:"recipient"`
}

// Release runs every check and, when all pass, logs the release and
// returns the share sealed to the recipient. The checks run in this order;
// the first that fails is the refusal:
//
//  1. the request, header and recipient key parse (bad-request), and the
//     header names this custodian's key (not-custodian);
//  2. the log as the custodian reads it now (checkpoint verified with the
//     log's key, inclusion proof built from its tiles) holds, at the
//     receipt's index, the very entry the receipt holds (receipt-invalid;
//     log-unreachable when it cannot be read), and, with Witnesses, its
//     checkpoint is cosigned by their quorum (unwitnessed);
//  3. the private record hashes to the entry's record_hash and decodes
//     (record-invalid);
//  4. the entry is a decision, binding, with outcome allow in both the
//     entry and the record (not-allow);
//  5. the record's request names the header's dataset, and its location
//     is the header labels' location (wrong-dataset);
//  6. the record's request.recipient is the request's recipient
//     (wrong-requester);
//  7. the action is one of ReleasingActions (wrong-action);
//  8. the entry's time is within Window of the custodian's clock
//     (expired);
//  9. no entry after it up to the custodian's checkpoint voids it
//     (voided; log-unreachable);
//  10. Veto, if any, does not object (vetoed);
//  11. its share opens and matches the commitments (share-invalid);
//  12. the release entry is durable in its release log
//     (release-unlogged).
func (c *Custodian) Release(ctx context.Context, req *ReleaseRequest) (resp *ReleaseResponse, ref *Refusal) {
	start := c.cfg.Now()
	defer func() {
		code, idx := "released", uint64(0)
		if ref != nil {
			code = ref.Code
		}
		if req.Receipt != nil {
			idx = req.Receipt.Index
		}
		c.cfg.Logger.Info("release", slog.String("custodian", c.cfg.ID), slog.String("code", code), slog.Uint64("decision_index", idx), slog.Duration("took", c.cfg.Now().Sub(start)))
	}()
	// 1. Shape.
	if len(req.Header) == 0 || req.Receipt == nil || req.Private == nil || req.Recipient == "" {
		return nil, refuse(RefuseBadRequest, "header, receipt, private and recipient are all required")
	}
	h, err := parseHeader(req.Header, 0)
	if err != nil {
		return nil, refuse(RefuseBadRequest, "%v", err)
	}
	recipient, err := ParsePublicKey(req.Recipient)
	if err != nil {
		return nil, refuse(RefuseBadRequest, "recipient: %v", err)
	}
	me := h.Index(c.cfg.Key.PublicKey())
	if me < 0 {
		return nil, refuse(RefuseNotCustodian, "the sealed file does not name this custodian's key")
	}
	// 2. The receipt names an entry; this custodian reads that entry and
	// its inclusion proof from the log itself, against the checkpoint it
	// fetches and verifies, and checks it is the entry the receipt holds.
	// The requester's checkpoint and proof are not trusted, only compared.
	own, err := ledger.ReceiptFrom(ctx, c.cfg.Log, c.cfg.Verifier, c.cfg.Origin, req.Receipt.Index)
	if err != nil {
		if errors.Is(err, ledger.ErrNotPublished) {
			return nil, refuse(RefuseReceiptInvalid, "the log this custodian reads does not cover index %d: %v", req.Receipt.Index, err)
		}
		return nil, refuse(RefuseLogUnreachable, "read the decision log: %v", err)
	}
	if c.cfg.Witnesses != nil && !c.cfg.Witnesses.Satisfied([]byte(own.Checkpoint)) {
		return nil, refuse(RefuseUnwitnessed, "the log's checkpoint is not cosigned by this custodian's witness quorum")
	}
	if !bytes.Equal(own.LeafHash, req.Receipt.LeafHash) {
		return nil, refuse(RefuseReceiptInvalid, "the log holds another entry at index %d (a receipt of another log, or altered)", req.Receipt.Index)
	}
	if !sameEntry(req.Receipt, own.Entry) {
		return nil, refuse(RefuseReceiptInvalid, "the receipt's entry is not the one logged at index %d", req.Receipt.Index)
	}
	entry, err := own.ParsedEntry()
	if err != nil {
		return nil, refuse(RefuseReceiptInvalid, "entry: %v", err)
	}
	// 3. Private record.
	// The record travels inside JSON answers that may be re-indented; the
	// bytes hashed are compact JSON (ledger.NewRecord), so compare those.
	priv := *req.Private
	var compact bytes.Buffer
	if json.Compact(&compact, priv.Record) == nil {
		priv.Record = compact.Bytes()
	}
	if err := ledger.VerifyPrivate(entry, priv); err != nil {
		return nil, refuse(RefuseRecordInvalid, "%v", err)
	}
	var rec decisionRecord
	if err := json.Unmarshal(priv.Record, &rec); err != nil || rec.Request == nil || rec.Decision == nil {
		return nil, refuse(RefuseRecordInvalid, "the private record is not a decision record")
	}
	// 4. Binding allow.
	if entry.Kind != ledger.KindDecision {
		return nil, refuse(RefuseNotAllow, "entry %d is a %s entry, not a decision", req.Receipt.Index, entry.Kind)
	}
	if entry.Outcome != string(model.Allow) || rec.Decision.Outcome != model.Allow || !rec.Decision.Binding {
		return nil, refuse(RefuseNotAllow, "decision outcome is %s (binding %t); only a binding allow releases", entry.Outcome, rec.Decision.Binding)
	}
	// 5. Dataset.
	if rec.Request.Data.Dataset != h.Dataset {
		return nil, refuse(RefuseWrongDataset, "the decision is about dataset %q, the sealed file is %q", rec.Request.Data.Dataset, h.Dataset)
	}
	var labels struct {
		Location string `json:"location"`
	}
	_ = json.Unmarshal(h.Labels, &labels)
	if labels.Location == "" || labels.Location != rec.Request.Data.Location {
		return nil, refuse(RefuseWrongDataset, "the decision judged data located in %q, the sealed file's labels say %q", rec.Request.Data.Location, labels.Location)
	}
	// 6. Requester's key.
	if rec.Request.Recipient == "" {
		return nil, refuse(RefuseWrongRequester, "the decision names no recipient key")
	}
	if rec.Request.Recipient != req.Recipient {
		return nil, refuse(RefuseWrongRequester, "the decision was made for another recipient key")
	}
	// 7. Action.
	if !slices.Contains(ReleasingActions, rec.Request.Action) {
		return nil, refuse(RefuseWrongAction, "action %q does not release data (only %v)", rec.Request.Action, ReleasingActions)
	}
	// 8. Recent, by this custodian's clock.
	now := c.cfg.Now()
	if age := now.Sub(entry.Time); age > c.cfg.Window {
		return nil, refuse(RefuseExpired, "decided at %s, %s ago; the window is %s", entry.Time.Format(time.RFC3339), age.Truncate(time.Second), c.cfg.Window)
	} else if age < -maxSkew {
		return nil, refuse(RefuseExpired, "decided at %s, in this custodian's future", entry.Time.Format(time.RFC3339))
	}
	// 9. Not voided, up to the checkpoint this custodian read.
	size, err := c.checkpointSize(own.Checkpoint)
	if err != nil {
		return nil, refuse(RefuseLogUnreachable, "%v", err)
	}
	voided, err := c.voided(ctx, req.Receipt.Index, size)
	if err != nil {
		return nil, refuse(RefuseLogUnreachable, "scan the log for voids: %v", err)
	}
	if voided {
		return nil, refuse(RefuseVoided, "decision %d was voided", req.Receipt.Index)
	}
	// 10. This custodian's own check.
	if c.cfg.Veto != nil {
		if err := c.cfg.Veto.Veto(ctx, &Release{Header: h, DecisionIndex: req.Receipt.Index, Entry: entry, Request: rec.Request, Decision: rec.Decision}); err != nil {
			return nil, refuse(RefuseVetoed, "%v", err)
		}
	}
	// 11. The share.
	share, err := c.openShare(h, me)
	if err != nil {
		return nil, refuse(RefuseShareInvalid, "%v", err)
	}
	sealed, err := hpke.Seal(recipient, kdf, aead, releaseInfo(h, me), share.Value)
	if err != nil {
		return nil, refuse(RefuseBadRequest, "seal to recipient: %v", err)
	}
	// 12. Log the release, durably, before answering. A retry of a release
	// already logged (the same decision, file and recipient key) gets the
	// first answer, and no second entry: it passed every check above
	// again, so the window and voids still bind it.
	key := releaseKey{index: req.Receipt.Index, leaf: hex.EncodeToString(req.Receipt.LeafHash), header: h.Digest(), recipient: req.Recipient}
	call, first, err := c.once(ctx, key)
	if err != nil {
		return nil, refuse(RefuseReleaseUnlogged, "wait for the same release under way: %v", err)
	}
	if !first {
		return call.resp, nil
	}
	resp, ref = c.logRelease(ctx, h, me, req, &rec, entry, now, sealed)
	c.settle(key, call, resp)
	return resp, ref
}

// logRelease appends the release entry (and keeps its private record) and
// returns the answer carrying the sealed share; see Release, step 12.
func (c *Custodian) logRelease(ctx context.Context, h *Header, me int, req *ReleaseRequest, rec *decisionRecord, entry ledger.Entry, now time.Time, sealed []byte) (*ReleaseResponse, *Refusal) {
	e, p, err := ledger.NewRecord(ledger.KindRelease, now, releaseRecord{
		Custodian: h.Custodians[me].ID, DecisionLog: c.cfg.Origin, DecisionIndex: req.Receipt.Index,
		DecisionLeaf: hex.EncodeToString(req.Receipt.LeafHash), Dataset: h.Dataset, KeyID: h.KeyID,
		Header: h.Digest(), Recipient: req.Recipient,
	})
	if err != nil {
		return nil, refuse(RefuseReleaseUnlogged, "%v", err)
	}
	di := req.Receipt.Index
	e.Refers = &di
	e.Digest = hex.EncodeToString(req.Receipt.LeafHash)
	e.Action = string(rec.Request.Action)
	e.Location = rec.Request.Data.Location
	e.Requester = entry.Requester
	idx, err := c.cfg.Releases.Append(ctx, e)
	if err != nil {
		return nil, refuse(RefuseReleaseUnlogged, "append release entry: %v", err)
	}
	if c.cfg.Records != nil {
		line, _ := json.Marshal(struct {
			Index   uint64         `json:"index"`
			Private ledger.Private `json:"private"`
		}{idx, p})
		c.recMu.Lock()
		_, werr := c.cfg.Records.Write(append(line, '\n'))
		c.recMu.Unlock()
		if werr != nil {
			// The entry is on the log; without its record no auditor can
			// check it. A logged release that did not happen is the safe
			// side: no share leaves.
			return nil, refuse(RefuseReleaseUnlogged, "release entry %d logged but its private record could not be kept: %v", idx, werr)
		}
	}
	return &ReleaseResponse{Custodian: h.Custodians[me].ID, Index: me, Share: sealed, ReleaseIndex: idx}, nil
}

// voided reports whether an entry in (index, size) voids index. The
// custodian scans each part of the log once: it keeps the contiguous range
// [voidLo, voidHi) it has scanned and the indexes voided in it, and reads
// only what a request needs beyond it. A void always follows what it
// voids, so the range from index+1 to the checkpoint is enough.
func (c *Custodian) voided(ctx context.Context, index, size uint64) (bool, error) {
	c.scanMu.Lock()
	defer c.scanMu.Unlock()
	scan := func(from, to uint64) error {
		if from >= to {
			return nil
		}
		return ledger.ReadEntries(ctx, c.cfg.Log, from, to, func(_ uint64, leaf []byte) error {
			if !bytes.Contains(leaf, []byte(`"kind":"void"`)) {
				return nil
			}
			e, err := ledger.ParseEntry(leaf)
			if err != nil {
				return fmt.Errorf("void entry: %w", err)
			}
			if e.Kind == ledger.KindVoid && e.Refers != nil {
				c.voids[*e.Refers] = true
			}
			return nil
		})
	}
	if c.voids == nil {
		c.voids = map[uint64]bool{}
	}
	from := index + 1
	switch {
	case c.voidHi == 0 || from > c.voidHi:
		// Nothing scanned yet, or a gap: start afresh at from.
		if err := scan(from, size); err != nil {
			return false, err
		}
		if c.voidHi == 0 || from > c.voidHi {
			c.voidLo = from
		}
	default:
		if from < c.voidLo {
			if err := scan(from, c.voidLo); err != nil {
				return false, err
			}
			c.voidLo = from
		}
		if err := scan(c.voidHi, size); err != nil {
			return false, err
		}
	}
	if size > c.voidHi {
		c.voidHi = size
	}
	return c.voids[index], nil
}

// maxShareCache bounds the shares a custodian keeps opened and verified.
const maxShareCache = 1024

// openShare opens and verifies this custodian's share of h, once per
// header: a file opened by many requesters costs one HPKE open and one
// commitment check.
func (c *Custodian) openShare(h *Header, me int) (Share, error) {
	d := h.Digest()
	c.mu.Lock()
	s, ok := c.shares[d]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := h.OpenShare(c.cfg.Key, me)
	if err != nil {
		return Share{}, err
	}
	c.mu.Lock()
	if c.shares == nil || len(c.shares) >= maxShareCache {
		for _, old := range c.shares {
			clear(old.Value)
		}
		c.shares = map[string]Share{}
	}
	c.shares[d] = s
	c.mu.Unlock()
	return s, nil
}

// checkpointSize returns the tree size of a checkpoint, verified once per
// distinct checkpoint.
func (c *Custodian) checkpointSize(raw string) (uint64, error) {
	c.mu.Lock()
	if raw == c.cpRaw {
		n := c.cpSize
		c.mu.Unlock()
		return n, nil
	}
	c.mu.Unlock()
	cp, err := ledger.ParseCheckpoint([]byte(raw), c.cfg.Verifier, c.cfg.Origin)
	if err != nil {
		return 0, fmt.Errorf("checkpoint: %w", err)
	}
	c.mu.Lock()
	c.cpRaw, c.cpSize = raw, cp.Size
	c.mu.Unlock()
	return cp.Size, nil
}

// sameEntry reports whether the receipt's entry is leaf (the canonical
// bytes logged): compacted, or else canonicalised, it must be those bytes.
func sameEntry(r *ledger.Receipt, leaf []byte) bool {
	var b bytes.Buffer
	if json.Compact(&b, r.Entry) == nil && bytes.Equal(b.Bytes(), leaf) {
		return true
	}
	l, err := r.Leaf()
	return err == nil && bytes.Equal(l, leaf)
}

// releaseInfo is the HPKE info of a released share: the file and the
// position.
func releaseInfo(h *Header, i int) []byte {
	return fmt.Appendf(nil, "accord-custody/v1 release %d %s", i, h.Digest())
}

// OpenRelease decrypts a custodian's answer with the requester's key and
// checks the share against the header's commitments.
func (h *Header) OpenRelease(key hpke.PrivateKey, r *ReleaseResponse) (Share, error) {
	if r.Index < 0 || r.Index >= len(h.Custodians) {
		return Share{}, fmt.Errorf("release: index %d: the header names %d custodians", r.Index, len(h.Custodians))
	}
	plain, err := hpke.Open(key, kdf, aead, releaseInfo(h, r.Index), r.Share)
	if err != nil {
		return Share{}, fmt.Errorf("release from %q: open: %w", h.Custodians[r.Index].ID, err)
	}
	s := Share{Index: r.Index, Value: plain}
	if _, err := h.CheckShare(s); err != nil {
		return Share{}, err
	}
	return s, nil
}
