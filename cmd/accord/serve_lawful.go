package main

import (
	"context"
	"encoding/base64"
	"log/slog"
	"path/filepath"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/mla"
	"github.com/accord-dev/accord/internal/registry"
	"github.com/accord-dev/accord/internal/report"
	"github.com/accord-dev/accord/internal/store"
)

// serveLawful wires the lawful-access endpoints: statements verified
// against the registry's keys and appended to the log, the revocations
// lodged so far (shared with the decider's authorizer), MLA cases in the
// database whose transitions the log records through mlaLedger (as `accord
// mla` does; the private records go to the database, store.MLARecords, and
// a DIR/mla/records.jsonl left by an older server or by `accord mla` is
// imported first: importMLARecords), and the transparency report from the
// verified log.
func serveLawful(ctx context.Context, st store.Store, lg *ledger.Log, reg *registry.Registry, revs *api.Revocations, deadlines mla.Deadlines, logger *slog.Logger) (*api.Lawful, error) {
	if err := importMLARecords(ctx, st, lg, filepath.Join(dataDir, "mla", "records.jsonl"), logger); err != nil {
		return nil, err
	}
	return &api.Lawful{
		Keys:        registryKeys{reg},
		Log:         lg,
		Revocations: revs,
		Cases: &mla.Service{
			Cases:      st.MLACases(),
			Log:        &mlaLedger{log: lg, keep: keepMLARecord(st)},
			Deadlines:  deadlines,
			Agreements: reg,
		},
		Entries: func(ctx context.Context) ([]report.Logged, *ledger.Checkpoint, error) {
			var entries []report.Logged
			cp, err := ledger.Verify(ctx, lg.Source(), lg.Verifier(), lg.Origin(), ledger.VerifyOptions{
				OnEntry: func(i uint64, e ledger.Entry) error {
					entries = append(entries, report.Logged{Index: i, Entry: e})
					return nil
				},
				Want: report.Reads,
			})
			return entries, cp, err
		},
	}, nil
}

// loadNewRevocations puts in effect the revocations stored in the database
// whose digest is not in seen, adds their digests to seen, and returns how
// many it added. Each was verified against its issuer's key when it was
// lodged; here it is only decoded, so that a key rotated since does not
// bring a withdrawn authorization back.
func loadNewRevocations(ctx context.Context, st store.Store, revs *api.Revocations, seen map[string]bool, logger *slog.Logger) (int, error) {
	lodged, err := st.ListStatements(ctx, authz.TypeRevocation)
	if err != nil {
		return 0, locale.Errorf("load revocations: %v", err)
	}
	added := 0
	for _, l := range lodged {
		if seen[l.Digest] {
			continue
		}
		seen[l.Digest] = true
		added++
		env, err := authz.ParseEnvelope(l.Envelope)
		if err == nil {
			var payload []byte
			payload, err = base64.StdEncoding.DecodeString(env.Payload)
			if err == nil {
				var s *authz.Statement
				s, err = authz.ParseStatement(payload)
				if err == nil {
					err = revs.Add(&authz.Verified{Statement: s, Authority: authz.AuthorityKey{ID: l.Issuer, Jurisdiction: l.Jurisdiction}, Digest: l.Digest})
				}
			}
		}
		if err != nil {
			// Should not happen: it was verified when lodged.
			logger.Error("stored revocation does not load", slog.String("id", l.ID), slog.Uint64("log_index", l.LogIndex))
		}
	}
	if added > 0 {
		logger.Info("revocations in effect", slog.Int("count", len(seen)), slog.Int("new", added))
	}
	return added, nil
}
