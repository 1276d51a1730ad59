package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accord-dev/accord/internal/store"
)

var _ store.Advisories = (*Store)(nil)

// CreateDeployment adds d; ErrConflict if its id exists.
func (s *Store) CreateDeployment(ctx context.Context, d store.Deployment) error {
	if err := d.Validate(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO deployments(id, owner, webhook_url, webhook_secret, contact_role, created) VALUES ($1, $2, $3, $4, $5, $6)`,
		d.ID, d.Owner, d.WebhookURL, d.WebhookSecret, d.ContactRole, d.Created)
	if err != nil {
		return fmt.Errorf("create deployment %s: %w", d.ID, wrap(err))
	}
	return nil
}

const deploymentCols = `id, owner, webhook_url, webhook_secret, contact_role, created`

func scanDeployment(r pgx.Row) (store.Deployment, error) {
	var d store.Deployment
	err := r.Scan(&d.ID, &d.Owner, &d.WebhookURL, &d.WebhookSecret, &d.ContactRole, &d.Created)
	d.Created = d.Created.UTC()
	return d, err
}

// Deployment returns one deployment; ErrNotFound if there is none.
func (s *Store) Deployment(ctx context.Context, id string) (store.Deployment, error) {
	d, err := scanDeployment(s.pool.QueryRow(ctx, `SELECT `+deploymentCols+` FROM deployments WHERE id = $1`, id))
	if err != nil {
		return d, fmt.Errorf("deployment %s: %w", id, wrap(err))
	}
	return d, nil
}

// ListDeployments returns the deployments of owner ("" for all), by id.
func (s *Store) ListDeployments(ctx context.Context, owner string) ([]store.Deployment, error) {
	return list(ctx, s, "list deployments", scanDeployment, `SELECT `+deploymentCols+` FROM deployments WHERE $1 = '' OR owner = $1 ORDER BY id`, owner)
}

// ImportSBOM replaces a deployment's components, records the import and
// queues notices, in one transaction.
func (s *Store) ImportSBOM(ctx context.Context, sb store.SBOM, comps []store.Component, notices []store.Notice) error {
	for _, n := range notices {
		if err := n.Validate(); err != nil {
			return err
		}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM deployments WHERE id = $1 FOR UPDATE`, sb.Deployment).Scan(&one); err != nil {
			return fmt.Errorf("deployment: %w", wrap(err))
		}
		if _, err := tx.Exec(ctx, `DELETE FROM components WHERE deployment = $1`, sb.Deployment); err != nil {
			return wrap(err)
		}
		rows := make([][]any, 0, len(comps))
		seen := map[[2]string]bool{}
		for _, c := range comps {
			k := [2]string{c.PURL, c.CPE}
			if seen[k] {
				continue
			}
			seen[k] = true
			rows = append(rows, []any{sb.Deployment, c.PURL, c.Key, c.Version, c.CPE, c.Name})
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"components"}, []string{"deployment", "purl", "pkey", "version", "cpe", "name"}, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("components: %w", wrap(err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sboms(deployment, format, digest, components, created) VALUES ($1, $2, $3, $4, $5)`,
			sb.Deployment, sb.Format, sb.Digest, sb.Components, sb.Created); err != nil {
			return wrap(err)
		}
		return insertNotices(ctx, tx, notices)
	})
	if err != nil {
		return fmt.Errorf("import sbom for %s: %w", sb.Deployment, wrap(err))
	}
	return nil
}

// insertNotices queues notices; one already queued for the same advisory
// and deployment is kept, not duplicated.
func insertNotices(ctx context.Context, tx pgx.Tx, notices []store.Notice) error {
	for _, n := range notices {
		payload := n.Payload
		if payload == nil {
			payload = []byte{}
		}
		_, err := tx.Exec(ctx, `INSERT INTO notices(webhook_id, advisory_key, deployment, payload, state, attempts, next_attempt, last_status, created)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (advisory_key, deployment) DO NOTHING`,
			n.WebhookID, n.AdvisoryKey, n.Deployment, payload, n.State, n.Attempts, n.NextAttempt, n.LastStatus, n.Created)
		if err != nil {
			return fmt.Errorf("notice %s: %w", n.WebhookID, wrap(err))
		}
	}
	return nil
}

// ListComponents returns the components of one deployment ("" for all).
func (s *Store) ListComponents(ctx context.Context, deployment string) ([]store.Component, error) {
	return list(ctx, s, "list components", func(r pgx.Row) (store.Component, error) {
		var c store.Component
		err := r.Scan(&c.Deployment, &c.PURL, &c.Key, &c.Version, &c.CPE, &c.Name)
		return c, err
	}, `SELECT deployment, purl, pkey, version, cpe, name FROM components WHERE $1 = '' OR deployment = $1 ORDER BY deployment, purl, cpe`, deployment)
}

// PutVendorKey records a vendor's advisory signing key.
func (s *Store) PutVendorKey(ctx context.Context, k store.VendorKey) error {
	if k.Vendor == "" || k.PublicKey == "" || k.LogIndex > math.MaxInt64 {
		return fmt.Errorf("%w: vendor key: vendor, public key and a log index are required", store.ErrInvalid)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO vendor_keys(vendor, public_key, log_index, created) VALUES ($1, $2, $3, $4)
		ON CONFLICT (vendor) DO UPDATE SET public_key = excluded.public_key, log_index = excluded.log_index, created = excluded.created`,
		k.Vendor, k.PublicKey, int64(k.LogIndex), k.Created)
	if err != nil {
		return fmt.Errorf("vendor key %s: %w", k.Vendor, wrap(err))
	}
	return nil
}

// VendorKey returns a vendor's key; ErrNotFound if none.
func (s *Store) VendorKey(ctx context.Context, vendor string) (store.VendorKey, error) {
	var (
		k  store.VendorKey
		li int64
	)
	err := s.pool.QueryRow(ctx, `SELECT vendor, public_key, log_index, created FROM vendor_keys WHERE vendor = $1`, vendor).Scan(&k.Vendor, &k.PublicKey, &li, &k.Created)
	if err != nil {
		return k, fmt.Errorf("vendor key %s: %w", vendor, wrap(err))
	}
	k.LogIndex, k.Created = uint64(li), k.Created.UTC()
	return k, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// PublishAdvisory stores a and queues its notices in one transaction.
func (s *Store) PublishAdvisory(ctx context.Context, a store.AdvisoryRecord, notices []store.Notice) error {
	if a.Key == "" || a.Vendor == "" || a.ID == "" || a.LogIndex > math.MaxInt64 {
		return fmt.Errorf("%w: advisory: key, vendor and id are required", store.ErrInvalid)
	}
	for _, n := range notices {
		if err := n.Validate(); err != nil {
			return err
		}
	}
	flags := a.Flags
	if flags == nil {
		flags = []string{}
	}
	fj, err := json.Marshal(flags)
	if err != nil {
		return fmt.Errorf("advisory %s: %w", a.Key, err)
	}
	doc, env := a.Document, a.Envelope
	if doc == nil {
		doc = []byte{}
	}
	if env == nil {
		env = []byte{}
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO advisories(akey, vendor, id, format, document, envelope, severity, flags, affected, log_index, published, discovered)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			a.Key, a.Vendor, a.ID, a.Format, doc, env, a.Severity, string(fj), a.Affected, int64(a.LogIndex), a.Published, nullTime(a.Discovered))
		if err != nil {
			return wrap(err)
		}
		return insertNotices(ctx, tx, notices)
	})
	if err != nil {
		return fmt.Errorf("publish advisory %s: %w", a.Key, wrap(err))
	}
	return nil
}

const advisoryCols = `akey, vendor, id, format, document, envelope, severity, flags, affected, log_index, published, discovered`

func scanAdvisory(r pgx.Row) (store.AdvisoryRecord, error) {
	var (
		a          store.AdvisoryRecord
		flags      string
		li         int64
		discovered *time.Time
	)
	if err := r.Scan(&a.Key, &a.Vendor, &a.ID, &a.Format, &a.Document, &a.Envelope, &a.Severity, &flags, &a.Affected, &li, &a.Published, &discovered); err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(flags), &a.Flags); err != nil {
		return a, fmt.Errorf("flags: %w", err)
	}
	if len(a.Flags) == 0 {
		a.Flags = nil
	}
	a.LogIndex, a.Published = uint64(li), a.Published.UTC()
	if discovered != nil {
		a.Discovered = discovered.UTC()
	}
	return a, nil
}

// Advisory returns one advisory by key; ErrNotFound if none.
func (s *Store) Advisory(ctx context.Context, key string) (store.AdvisoryRecord, error) {
	a, err := scanAdvisory(s.pool.QueryRow(ctx, `SELECT `+advisoryCols+` FROM advisories WHERE akey = $1`, key))
	if err != nil {
		return a, fmt.Errorf("advisory %s: %w", key, wrap(err))
	}
	return a, nil
}

// ListAdvisories returns every advisory, oldest first.
func (s *Store) ListAdvisories(ctx context.Context) ([]store.AdvisoryRecord, error) {
	return list(ctx, s, "list advisories", scanAdvisory, `SELECT `+advisoryCols+` FROM advisories ORDER BY log_index`)
}

const noticeCols = `webhook_id, advisory_key, deployment, payload, state, attempts, next_attempt, last_status, created, delivered, log_index`

func scanNotice(r pgx.Row) (store.Notice, error) {
	var (
		n         store.Notice
		delivered *time.Time
		logIdx    *int64
	)
	if err := r.Scan(&n.WebhookID, &n.AdvisoryKey, &n.Deployment, &n.Payload, &n.State, &n.Attempts, &n.NextAttempt, &n.LastStatus, &n.Created, &delivered, &logIdx); err != nil {
		return n, err
	}
	n.NextAttempt, n.Created = n.NextAttempt.UTC(), n.Created.UTC()
	if delivered != nil {
		n.Delivered = delivered.UTC()
	}
	if logIdx != nil {
		n.LogIndex, n.Logged = uint64(*logIdx), true
	}
	return n, nil
}

// DueNotices returns up to limit pending notices due at now.
func (s *Store) DueNotices(ctx context.Context, now time.Time, limit int) ([]store.Notice, error) {
	return list(ctx, s, "due notices", scanNotice, `SELECT `+noticeCols+` FROM notices WHERE state = 'pending' AND next_attempt <= $1 ORDER BY next_attempt, created LIMIT $2`, now, limit)
}

// ListNotices returns the notices in state ("" for all), oldest first.
func (s *Store) ListNotices(ctx context.Context, state string) ([]store.Notice, error) {
	return list(ctx, s, "list notices", scanNotice, `SELECT `+noticeCols+` FROM notices WHERE $1 = '' OR state = $1 ORDER BY created, webhook_id`, state)
}

// UpdateNotice writes a notice's delivery state.
func (s *Store) UpdateNotice(ctx context.Context, n store.Notice) error {
	if err := n.Validate(); err != nil {
		return err
	}
	var li *int64
	if n.Logged {
		v := int64(n.LogIndex)
		li = &v
	}
	tag, err := s.pool.Exec(ctx, `UPDATE notices SET state = $1, attempts = $2, next_attempt = $3, last_status = $4, delivered = $5, log_index = $6 WHERE webhook_id = $7`,
		n.State, n.Attempts, n.NextAttempt, n.LastStatus, nullTime(n.Delivered), li, n.WebhookID)
	if err != nil {
		return fmt.Errorf("update notice %s: %w", n.WebhookID, wrap(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("update notice %s: %w", n.WebhookID, store.ErrNotFound)
	}
	return nil
}

// ClaimNotice leases a due notice until until, if nobody changed it since
// it was read.
func (s *Store) ClaimNotice(ctx context.Context, n store.Notice, until time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE notices SET next_attempt = $1 WHERE webhook_id = $2 AND state = 'pending' AND attempts = $3 AND next_attempt = $4`,
		until, n.WebhookID, n.Attempts, n.NextAttempt)
	if err != nil {
		return false, fmt.Errorf("claim notice %s: %w", n.WebhookID, wrap(err))
	}
	return tag.RowsAffected() == 1, nil
}
