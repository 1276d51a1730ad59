// Package report builds transparency reports from the transparency log:
// how many lawful-access requests each state made, through which channel,
// for how many people and records, and what came of them.
//
// A report is built only from log entries, never from private records, so
// every figure can be traced to the entries it counts: each row lists the
// log indices behind it, and anyone holding the log can recount.
//
// Which entries count: decisions whose requester, or the principal it acts
// for, is a state authority. A decision that a later void entry refers to is
// left out (it was never committed). Each decision is classed by channel and
// by result:
//
//	channel   basis "mla" → mla; basis "agreement" → agreement; basis
//	          "emergency" or purpose "emergency" → emergency; anything
//	          else → direct (a direct order to a provider)
//	outcome   allow → disclosed; deny → refused; pending → pending: each
//	          decision counts once, and the three sum to the requests
//	third     besides, third_state_excluded counts the decisions in which a
//	          third-state rule fired (third states' data was left out, or
//	          the request waits for them), whatever their outcome
//	subjects  subjects_requested sums what was asked for;
//	          subjects_disclosed sums, over allowed decisions, the subjects
//	          less those third-state exclusion left out (entry "excluded")
//
// The median time to answer is measured on MLA cases: from the entry that
// opens a case to the entry that accepts, narrows or refuses it.
//
// The report lists too every registry-change and pack-change entry of the
// period (an authority's key, an agreement, a bloc, a jurisdiction, a pack
// version, the registry files), with the key fingerprint or version it
// logged, and counts them by kind and subject: whatever could change a
// decision is on the log before it took effect, and a state reads here
// whether its authority's key was replaced. A change that a later void
// entry refers to never took effect and is left out (counted in
// VoidedChanges).
package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
)

// Logged is a log entry with its index.
type Logged struct {
	Index uint64
	Entry ledger.Entry
}

// Channels a lawful-access request goes through.
const (
	ChannelMLA       = "mla"
	ChannelAgreement = "agreement"
	ChannelEmergency = "emergency"
	ChannelDirect    = "direct"
)

// Results (outcomes) of a lawful-access request.
const (
	ResultDisclosed = "disclosed"
	ResultRefused   = "refused"
	ResultPending   = "pending"
)

// Period is a half-open span of time [From, To) named like 2026-H2.
type Period struct {
	Name     string
	From, To time.Time
}

// ParsePeriod reads a period name: a year (2026), a half (2026-H2), a
// quarter (2026-Q3), a month (2026-11), or "all" for the whole log. Times
// are UTC.
func ParsePeriod(s string) (Period, error) {
	bad := func() (Period, error) {
		return Period{}, fmt.Errorf("period %q: want YYYY, YYYY-H1|H2, YYYY-Q1..Q4, YYYY-MM or all", s)
	}
	if s == "all" {
		return Period{Name: s, From: time.Unix(0, 0).UTC(), To: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)}, nil
	}
	var year int
	if len(s) < 4 {
		return bad()
	}
	if _, err := fmt.Sscanf(s[:4], "%04d", &year); err != nil || year < 1970 || year > 9999 {
		return bad()
	}
	rest := s[4:]
	month, months := 1, 12
	switch {
	case rest == "":
	case len(rest) == 3 && rest[0] == '-' && rest[1] == 'H' && (rest[2] == '1' || rest[2] == '2'):
		month, months = 1+6*int(rest[2]-'1'), 6
	case len(rest) == 3 && rest[0] == '-' && rest[1] == 'Q' && rest[2] >= '1' && rest[2] <= '4':
		month, months = 1+3*int(rest[2]-'1'), 3
	case len(rest) == 3 && rest[0] == '-':
		var m int
		if _, err := fmt.Sscanf(rest[1:], "%02d", &m); err != nil || m < 1 || m > 12 {
			return bad()
		}
		month, months = m, 1
	default:
		return bad()
	}
	from := time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
	return Period{Name: s, From: from, To: from.AddDate(0, months, 0)}, nil
}

// Row is one requesting state's requests through one channel.
type Row struct {
	// State is the requesting state.
	State string `json:"state"`
	// Channel is mla, agreement, emergency or direct.
	Channel string `json:"channel"`
	// Requests counts the decisions.
	Requests int `json:"requests"`
	// SubjectsRequested sums the data subjects the requests asked for.
	SubjectsRequested int64 `json:"subjects_requested"`
	// SubjectsDisclosed sums the data subjects of the allowed decisions,
	// less those third-state exclusion left out (the entry's excluded).
	SubjectsDisclosed int64 `json:"subjects_disclosed"`
	// RecordsRequested sums the records the requests asked for.
	RecordsRequested int64 `json:"records_requested"`
	// Disclosed, Refused and Pending count the decisions by outcome
	// (allow, deny, pending): each decision is in exactly one of them, so
	// they sum to Requests.
	Disclosed int `json:"disclosed"`
	Refused   int `json:"refused"`
	Pending   int `json:"pending"`
	// ThirdStateExcluded counts, whatever their outcome, the decisions in
	// which third-state exclusion fired (a rule about a third state): an
	// allowed execution that left a third state's subjects out is counted
	// here and in Disclosed.
	ThirdStateExcluded int `json:"third_state_excluded"`
	// Indices are the log indices of the decisions counted here.
	Indices []uint64 `json:"indices"`
}

// Report is a transparency report for one period.
type Report struct {
	Period string    `json:"period"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	// Rows, sorted by state then channel.
	Rows []Row `json:"rows"`
	// Totals sums every row.
	Totals Row `json:"totals"`
	// MedianAnswer is the median time from opening an MLA case to the
	// requested state's answer, over the cases answered in the period; zero
	// when none was.
	MedianAnswer time.Duration `json:"median_answer_ns"`
	// AnsweredCases counts the MLA cases behind MedianAnswer.
	AnsweredCases int `json:"answered_cases"`
	// Voided counts decisions left out because a void entry refers to them.
	Voided int `json:"voided"`
	// Changes lists the registry, pack and catalog changes of the
	// period, in log order.
	Changes []Change `json:"changes"`
	// ChangeCounts counts Changes by entry kind and subject, sorted by
	// kind then subject.
	ChangeCounts []ChangeCount `json:"change_counts"`
	// VoidedChanges counts changes left out because a void entry refers to
	// them (logged, but never stored nor in effect).
	VoidedChanges int `json:"voided_changes"`
	// Vendors is the advisories section (GDSI commitment 8), one row per
	// vendor, sorted; TimeLimits are the limits its OverLimit counts use.
	Vendors    []VendorRow `json:"vendors,omitempty"`
	TimeLimits []TimeLimit `json:"time_limits,omitempty"`
	// EntriesRead counts the log entries the report read: those given to
	// Build (from an audit, those Reads selects; the audit hashed them all).
	EntriesRead int `json:"entries_read"`
	// Checkpoint is the verified log state the report was computed from
	// (see Pin): a third party checks that a published report matches one
	// state of the log by recounting the entries that checkpoint commits
	// to. Absent when the report was not pinned.
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
}

// Checkpoint names one state of the log: the report counts the entries
// below Size of the log Origin, whose Merkle root is RootHash, as the
// signed Note says.
type Checkpoint struct {
	Origin string `json:"origin"`
	Size   uint64 `json:"size"`
	// RootHash is the RFC 6962 root hash, base64 as in the note.
	RootHash string `json:"root_hash"`
	// Note is the signed checkpoint (C2SP tlog-checkpoint) as published.
	Note string `json:"signed_note"`
}

// Pin records in r the checkpoint its entries were verified against.
func (r *Report) Pin(cp *ledger.Checkpoint) {
	if cp == nil {
		return
	}
	r.Checkpoint = &Checkpoint{Origin: cp.Origin, Size: cp.Size, RootHash: base64.StdEncoding.EncodeToString(cp.Hash), Note: string(cp.Raw)}
}

// Change is one registry-change, pack-change or catalog-change entry.
type Change struct {
	// Index is the entry's log index.
	Index uint64 `json:"index"`
	// Kind is registry-change, pack-change or catalog-change.
	Kind string `json:"kind"`
	// Subject is what changed: an authority, agreement, bloc or
	// jurisdiction id, a pack name, "registry-files", a dataset id.
	Subject string `json:"subject"`
	// Jurisdiction is the state concerned, when there is one.
	Jurisdiction string `json:"jurisdiction,omitempty"`
	// Location is, for a catalog change, where the dataset is stored.
	Location string `json:"location,omitempty"`
	// Action is put or delete.
	Action string `json:"action,omitempty"`
	// Version is a pack's version.
	Version string `json:"version,omitempty"`
	// KeyFingerprint is an authority key's fingerprint as registered from
	// then on.
	KeyFingerprint string `json:"key_fingerprint,omitempty"`
	// Digest is the digest of what was put.
	Digest string `json:"digest,omitempty"`
	// Time is when it was logged.
	Time time.Time `json:"time"`
}

// ChangeCount counts the changes of one kind and subject.
type ChangeCount struct {
	Kind    string   `json:"kind"`
	Subject string   `json:"subject"`
	Changes int      `json:"changes"`
	Indices []uint64 `json:"indices"`
}

// readMarks are the JSON string values of which an entry Build reads holds
// at least one: the kinds it reads beyond decisions (void,
// mla-transition, registry-change, pack-change) and the principal kind
// that makes a decision a lawful-access request.
var readMarks = [][]byte{
	[]byte(`"` + ledger.KindVoid + `"`),
	[]byte(`"` + ledger.KindMLATransition + `"`),
	[]byte(`"` + ledger.KindRegistryChange + `"`),
	[]byte(`"` + ledger.KindPackChange + `"`),
	[]byte(`"` + ledger.KindAdvisory + `"`),
	[]byte(`"` + ledger.KindNotice + `"`),
	[]byte(`"` + ledger.KindCatalogChange + `"`),
	[]byte(`"` + model.KindStateAuthority + `"`),
}

// Reads reports whether Build may read the entry whose stored bytes are
// raw, looking only at the bytes: it is true for every void,
// mla-transition, registry-change and pack-change entry and every decision whose requester or on-behalf-of
// party is a state authority, and for some others. It is meant as
// ledger.VerifyOptions.Want, so that an audit parses only these (plus its
// sample) and hashes the rest. It relies on the string values appearing
// literally, which holds for entries without escapes: the audit asks only
// about entries that pass its byte screen (no backslash).
func Reads(raw []byte) bool {
	for _, m := range readMarks {
		if bytes.Contains(raw, m) {
			return true
		}
	}
	return false
}

// Build makes the report for period from the log's entries, in any order.
// It needs every entry for which Reads is true (it may be given more).
func Build(period Period, entries []Logged) *Report {
	// Empty lists are [] in JSON, never null.
	r := &Report{Period: period.Name, From: period.From, To: period.To, EntriesRead: len(entries),
		Rows: []Row{}, Totals: Row{Indices: []uint64{}}}
	voided := map[uint64]bool{}
	for _, l := range entries {
		if l.Entry.Kind == ledger.KindVoid && l.Entry.Refers != nil {
			voided[*l.Entry.Refers] = true
		}
	}
	rows := map[[2]string]*Row{}
	opened := map[string]time.Time{}
	var answers []time.Duration
	for _, l := range entries {
		e := &l.Entry
		in := !e.Time.Before(period.From) && e.Time.Before(period.To)
		switch e.Kind {
		case ledger.KindMLATransition:
			// Subject is "<case>:<state the case moved to>".
			i := strings.LastIndexByte(e.Subject, ':')
			if i < 0 {
				continue
			}
			c, state := e.Subject[:i], e.Subject[i+1:]
			switch state {
			case "opened":
				opened[c] = e.Time
			case "accepted", "narrowed", "refused":
				if t, ok := opened[c]; ok && in {
					answers = append(answers, e.Time.Sub(t))
					delete(opened, c)
				}
			}
			continue
		case ledger.KindRegistryChange, ledger.KindPackChange, ledger.KindCatalogChange:
			if !in {
				continue
			}
			if voided[l.Index] {
				r.VoidedChanges++
				continue
			}
			c := Change{Index: l.Index, Kind: e.Kind, Subject: e.Subject, Jurisdiction: e.Jurisdiction, Location: e.Location, Action: e.Action,
				KeyFingerprint: e.KeyFingerprint, Digest: e.Digest, Time: e.Time}
			if len(e.Packs) > 0 {
				c.Version = e.Packs[0].Version
			}
			r.Changes = append(r.Changes, c)
			continue
		case ledger.KindDecision:
		default:
			continue
		}
		state, ok := requestingState(e)
		if !ok || !in {
			continue
		}
		if voided[l.Index] {
			r.Voided++
			continue
		}
		key := [2]string{state, channelOf(e)}
		row := rows[key]
		if row == nil {
			row = &Row{State: key[0], Channel: key[1]}
			rows[key] = row
		}
		row.add(e, l.Index)
	}
	for _, row := range rows {
		slices.Sort(row.Indices)
		r.Rows = append(r.Rows, *row)
		r.Totals.merge(row)
	}
	sort.Slice(r.Rows, func(i, j int) bool {
		if r.Rows[i].State != r.Rows[j].State {
			return r.Rows[i].State < r.Rows[j].State
		}
		return r.Rows[i].Channel < r.Rows[j].Channel
	})
	slices.Sort(r.Totals.Indices)
	r.Changes, r.ChangeCounts = countChanges(r.Changes)
	if r.Vendors = vendorRows(period, entries, voided, DefaultTimeLimits); len(r.Vendors) > 0 {
		r.TimeLimits = DefaultTimeLimits
	}
	r.Totals.State, r.Totals.Channel = "*", "*"
	if len(answers) > 0 {
		slices.Sort(answers)
		n := len(answers)
		r.MedianAnswer = answers[n/2]
		if n%2 == 0 {
			r.MedianAnswer = (answers[n/2-1] + answers[n/2]) / 2
		}
		r.AnsweredCases = n
	}
	return r
}

func (row *Row) add(e *ledger.Entry, index uint64) {
	row.Requests++
	var requested, excluded int64
	for _, n := range e.Subjects {
		requested += n
	}
	for _, n := range e.Excluded {
		excluded += n
	}
	row.SubjectsRequested += requested
	row.RecordsRequested += e.Records
	switch resultOf(e) {
	case ResultDisclosed:
		row.Disclosed++
		row.SubjectsDisclosed += max(requested-excluded, 0)
	case ResultRefused:
		row.Refused++
	default:
		row.Pending++
	}
	if thirdStateExcluded(e) {
		row.ThirdStateExcluded++
	}
	row.Indices = append(row.Indices, index)
}

func (row *Row) merge(o *Row) {
	row.Requests += o.Requests
	row.SubjectsRequested += o.SubjectsRequested
	row.SubjectsDisclosed += o.SubjectsDisclosed
	row.RecordsRequested += o.RecordsRequested
	row.Disclosed += o.Disclosed
	row.Refused += o.Refused
	row.Pending += o.Pending
	row.ThirdStateExcluded += o.ThirdStateExcluded
	row.Indices = append(row.Indices, o.Indices...)
}

// requestingState is the state behind a lawful-access decision: the state
// authority that asked, or the one a company acted for.
func requestingState(e *ledger.Entry) (string, bool) {
	if e.Requester != nil && e.Requester.Kind == model.KindStateAuthority {
		return e.Requester.State, true
	}
	if e.OnBehalfOf != nil && e.OnBehalfOf.Kind == model.KindStateAuthority {
		return e.OnBehalfOf.State, true
	}
	return "", false
}

func channelOf(e *ledger.Entry) string {
	switch {
	case e.Basis == "mla":
		return ChannelMLA
	case e.Basis == "agreement":
		return ChannelAgreement
	case e.Basis == "emergency" || e.Purpose == string(model.PurposeEmergency):
		return ChannelEmergency
	}
	return ChannelDirect
}

func resultOf(e *ledger.Entry) string {
	switch model.Outcome(e.Outcome) {
	case model.Deny:
		return ResultRefused
	case model.Allow:
		return ResultDisclosed
	}
	return ResultPending
}

// thirdStateExcluded reports whether a rule about a third state fired
// (mla-third-state-excluded, gdsi-6-third-state, ...).
func thirdStateExcluded(e *ledger.Entry) bool {
	for _, id := range e.Rules {
		if strings.Contains(id, "third-state") {
			return true
		}
	}
	return false
}

// countChanges sorts changes by log index and counts them by kind and
// subject. Both results are non-nil.
func countChanges(changes []Change) ([]Change, []ChangeCount) {
	if changes == nil {
		changes = []Change{}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Index < changes[j].Index })
	at := map[[2]string]int{} // index in counts
	counts := []ChangeCount{}
	for _, c := range changes {
		key := [2]string{c.Kind, c.Subject}
		i, ok := at[key]
		if !ok {
			i = len(counts)
			at[key] = i
			counts = append(counts, ChangeCount{Kind: c.Kind, Subject: c.Subject})
		}
		counts[i].Changes++
		counts[i].Indices = append(counts[i].Indices, c.Index)
	}
	sort.Slice(counts, func(i, j int) bool {
		if counts[i].Kind != counts[j].Kind {
			return counts[i].Kind < counts[j].Kind
		}
		return counts[i].Subject < counts[j].Subject
	})
	return changes, counts
}
