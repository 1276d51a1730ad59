package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/accord-dev/accord/internal/store"
)

var _ store.Advisories = (*Store)(nil)

// CreateDeployment adds d; ErrConflict if its id exists.
func (s *Store) CreateDeployment(ctx context.Context, d store.Deployment) error {
	if err := d.Validate(); err != nil {
		return err
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO deployments(id, owner, webhook_url, webhook_secret, contact_role, created) VALUES (?, ?, ?, ?, ?, ?)`,
		d.ID, d.Owner, d.WebhookURL, d.WebhookSecret, d.ContactRole, nanos(d.Created))
	if err != nil {
		return fmt.Errorf("create deployment %s: %w", d.ID, wrap(err))
	}
	return nil
}

const deploymentCols = `id, owner, webhook_url, webhook_secret, contact_role, created`

func scanDeployment(r scanner) (store.Deployment, error) {
	var (
		d       store.Deployment
		created int64
	)
	err := r.Scan(&d.ID, &d.Owner, &d.WebhookURL, &d.WebhookSecret, &d.ContactRole, &created)
	d.Created = fromNanos(created)
	return d, err
}

// Deployment returns one deployment; ErrNotFound if there is none.
func (s *Store) Deployment(ctx context.Context, id string) (store.Deployment, error) {
	d, err := scanDeployment(s.r.QueryRowContext(ctx, `SELECT `+deploymentCols+` FROM deployments WHERE id = ?`, id))
	if err != nil {
		return d, fmt.Errorf("deployment %s: %w", id, wrap(err))
	}
	return d, nil
}

// ListDeployments returns the deployments of owner ("" for all), by id.
func (s *Store) ListDeployments(ctx context.Context, owner string) ([]store.Deployment, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+deploymentCols+` FROM deployments WHERE ? = '' OR owner = ? ORDER BY id`, owner, owner)
	if err != nil {
		return nil, fmt.Errorf("list deployments: %w", wrap(err))
	}
	defer rows.Close()
	out := []store.Deployment{}
	for rows.Next() {
		d, err := scanDeployment(rows)
		if err != nil {
			return nil, fmt.Errorf("list deployments: %w", wrap(err))
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deployments: %w", wrap(err))
	}
	return out, nil
}

// ImportSBOM replaces a deployment's components, records the import and
// queues notices, in one transaction.
func (s *Store) ImportSBOM(ctx context.Context, sb store.SBOM, comps []store.Component, notices []store.Notice) (err error) {
	for _, n := range notices {
		if err := n.Validate(); err != nil {
			return err
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("import sbom for %s: %w", sb.Deployment, wrap(err))
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	var one int
	if err = tx.QueryRowContext(ctx, `SELECT 1 FROM deployments WHERE id = ?`, sb.Deployment).Scan(&one); err != nil {
		return fmt.Errorf("import sbom: deployment %s: %w", sb.Deployment, wrap(err))
	}
	if _, err = tx.ExecContext(ctx, `DELETE FROM components WHERE deployment = ?`, sb.Deployment); err != nil {
		return fmt.Errorf("import sbom for %s: %w", sb.Deployment, wrap(err))
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO components(deployment, purl, pkey, version, cpe, name) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("import sbom for %s: %w", sb.Deployment, wrap(err))
	}
	defer ins.Close()
	for _, c := range comps {
		if _, err = ins.ExecContext(ctx, sb.Deployment, c.PURL, c.Key, c.Version, c.CPE, c.Name); err != nil {
			return fmt.Errorf("import sbom for %s: component %s: %w", sb.Deployment, c.PURL, wrap(err))
		}
	}
	if _, err = tx.ExecContext(ctx, `INSERT INTO sboms(deployment, format, digest, components, created) VALUES (?, ?, ?, ?, ?)`,
		sb.Deployment, sb.Format, sb.Digest, sb.Components, nanos(sb.Created)); err != nil {
		return fmt.Errorf("import sbom for %s: %w", sb.Deployment, wrap(err))
	}
	if err = insertNotices(ctx, tx, notices); err != nil {
		return fmt.Errorf("import sbom for %s: %w", sb.Deployment, err)
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("import sbom for %s: commit: %w", sb.Deployment, wrap(err))
	}
	return nil
}

// insertNotices queues notices; one already queued for the same advisory
// and deployment is kept, not duplicated.
func insertNotices(ctx context.Context, tx *sql.Tx, notices []store.Notice) error {
	for _, n := range notices {
		_, err := tx.ExecContext(ctx, `INSERT INTO notices(webhook_id, advisory_key, deployment, payload, state, attempts, next_attempt, last_status, created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(advisory_key, deployment) DO NOTHING`,
			n.WebhookID, n.AdvisoryKey, n.Deployment, nonNilBytes(n.Payload), n.State, n.Attempts, nanos(n.NextAttempt), n.LastStatus, nanos(n.Created))
		if err != nil {
			return fmt.Errorf("notice %s: %w", n.WebhookID, wrap(err))
		}
	}
	return nil
}

// ListComponents returns the components of one deployment ("" for all).
func (s *Store) ListComponents(ctx context.Context, deployment string) ([]store.Component, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT deployment, purl, pkey, version, cpe, name FROM components WHERE ? = '' OR deployment = ? ORDER BY deployment, purl, cpe`, deployment, deployment)
	if err != nil {
		return nil, fmt.Errorf("list components: %w", wrap(err))
	}
	defer rows.Close()
	out := []store.Component{}
	for rows.Next() {
		var c store.Component
		if err := rows.Scan(&c.Deployment, &c.PURL, &c.Key, &c.Version, &c.CPE, &c.Name); err != nil {
			return nil, fmt.Errorf("list components: %w", wrap(err))
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list components: %w", wrap(err))
	}
	return out, nil
}

// PutVendorKey records a vendor's advisory signing key.
func (s *Store) PutVendorKey(ctx context.Context, k store.VendorKey) error {
	if k.Vendor == "" || k.PublicKey == "" || k.LogIndex > math.MaxInt64 {
		return fmt.Errorf("%w: vendor key: vendor, public key and a log index are required", store.ErrInvalid)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO vendor_keys(vendor, public_key, log_index, created) VALUES (?, ?, ?, ?)
		ON CONFLICT(vendor) DO UPDATE SET public_key = excluded.public_key, log_index = excluded.log_index, created = excluded.created`,
		k.Vendor, k.PublicKey, int64(k.LogIndex), nanos(k.Created))
	if err != nil {
		return fmt.Errorf("vendor key %s: %w", k.Vendor, wrap(err))
	}
	return nil
}

// VendorKey returns a vendor's key; ErrNotFound if none.
func (s *Store) VendorKey(ctx context.Context, vendor string) (store.VendorKey, error) {
	var (
		k           store.VendorKey
		li, created int64
	)
	err := s.r.QueryRowContext(ctx, `SELECT vendor, public_key, log_index, created FROM vendor_keys WHERE vendor = ?`, vendor).Scan(&k.Vendor, &k.PublicKey, &li, &created)
	if err != nil {
		return k, fmt.Errorf("vendor key %s: %w", vendor, wrap(err))
	}
	k.LogIndex, k.Created = uint64(li), fromNanos(created)
	return k, nil
}

// PublishAdvisory stores a and queues its notices in one transaction.
func (s *Store) PublishAdvisory(ctx context.Context, a store.AdvisoryRecord, notices []store.Notice) (err error) {
	if a.Key == "" || a.Vendor == "" || a.ID == "" || a.LogIndex > math.MaxInt64 {
		return fmt.Errorf("%w: advisory: key, vendor and id are required", store.ErrInvalid)
	}
	for _, n := range notices {
		if err := n.Validate(); err != nil {
			return err
		}
	}
	flags, err := json.Marshal(nonNil(a.Flags))
	if err != nil {
		return fmt.Errorf("advisory %s: %w", a.Key, err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("publish advisory %s: %w", a.Key, wrap(err))
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	_, err = tx.ExecContext(ctx, `INSERT INTO advisories(akey, vendor, id, format, document, envelope, severity, flags, affected, log_index, published, discovered)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.Key, a.Vendor, a.ID, a.Format, nonNilBytes(a.Document), nonNilBytes(a.Envelope), a.Severity, string(flags), a.Affected, int64(a.LogIndex), nanos(a.Published), nullNanos(a.Discovered))
	if err != nil {
		return fmt.Errorf("publish advisory %s: %w", a.Key, wrap(err))
	}
	if err = insertNotices(ctx, tx, notices); err != nil {
		return fmt.Errorf("publish advisory %s: %w", a.Key, err)
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("publish advisory %s: commit: %w", a.Key, wrap(err))
	}
	return nil
}

const advisoryCols = `akey, vendor, id, format, document, envelope, severity, flags, affected, log_index, published, discovered`

func scanAdvisory(r scanner) (store.AdvisoryRecord, error) {
	var (
		a             store.AdvisoryRecord
		flags         string
		li, published int64
		discovered    sql.NullInt64
	)
	if err := r.Scan(&a.Key, &a.Vendor, &a.ID, &a.Format, &a.Document, &a.Envelope, &a.Severity, &flags, &a.Affected, &li, &published, &discovered); err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(flags), &a.Flags); err != nil {
		return a, fmt.Errorf("flags: %w", err)
	}
	if len(a.Flags) == 0 {
		a.Flags = nil
	}
	a.LogIndex, a.Published, a.Discovered = uint64(li), fromNanos(published), fromNull(discovered)
	return a, nil
}

// Advisory returns one advisory by key; ErrNotFound if none.
func (s *Store) Advisory(ctx context.Context, key string) (store.AdvisoryRecord, error) {
	a, err := scanAdvisory(s.r.QueryRowContext(ctx, `SELECT `+advisoryCols+` FROM advisories WHERE akey = ?`, key))
	if err != nil {
		return a, fmt.Errorf("advisory %s: %w", key, wrap(err))
	}
	return a, nil
}

// ListAdvisories returns every advisory, oldest first.
func (s *Store) ListAdvisories(ctx context.Context) ([]store.AdvisoryRecord, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+advisoryCols+` FROM advisories ORDER BY log_index`)
	if err != nil {
		return nil, fmt.Errorf("list advisories: %w", wrap(err))
	}
	defer rows.Close()
	out := []store.AdvisoryRecord{}
	for rows.Next() {
		a, err := scanAdvisory(rows)
		if err != nil {
			return nil, fmt.Errorf("list advisories: %w", wrap(err))
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list advisories: %w", wrap(err))
	}
	return out, nil
}

const noticeCols = `webhook_id, advisory_key, deployment, payload, state, attempts, next_attempt, last_status, created, delivered, log_index`

func scanNotice(r scanner) (store.Notice, error) {
	var (
		n                 store.Notice
		next, created     int64
		delivered, logIdx sql.NullInt64
	)
	if err := r.Scan(&n.WebhookID, &n.AdvisoryKey, &n.Deployment, &n.Payload, &n.State, &n.Attempts, &next, &n.LastStatus, &created, &delivered, &logIdx); err != nil {
		return n, err
	}
	n.NextAttempt, n.Created, n.Delivered = fromNanos(next), fromNanos(created), fromNull(delivered)
	if logIdx.Valid {
		n.LogIndex, n.Logged = uint64(logIdx.Int64), true
	}
	return n, nil
}

func (s *Store) listNotices(ctx context.Context, what, q string, args ...any) ([]store.Notice, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+noticeCols+` FROM notices `+q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, wrap(err))
	}
	defer rows.Close()
	out := []store.Notice{}
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, wrap(err))
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, wrap(err))
	}
	return out, nil
}

// DueNotices returns up to limit pending notices due at now.
func (s *Store) DueNotices(ctx context.Context, now time.Time, limit int) ([]store.Notice, error) {
	return s.listNotices(ctx, "due notices", `WHERE state = 'pending' AND next_attempt <= ? ORDER BY next_attempt, created LIMIT ?`, nanos(now), limit)
}

// ListNotices returns the notices in state ("" for all), oldest first.
func (s *Store) ListNotices(ctx context.Context, state string) ([]store.Notice, error) {
	return s.listNotices(ctx, "list notices", `WHERE ? = '' OR state = ? ORDER BY created, webhook_id`, state, state)
}

// UpdateNotice writes a notice's delivery state.
func (s *Store) UpdateNotice(ctx context.Context, n store.Notice) error {
	if err := n.Validate(); err != nil {
		return err
	}
	var li sql.NullInt64
	if n.Logged {
		li = sql.NullInt64{Int64: int64(n.LogIndex), Valid: true}
	}
	res, err := s.w.ExecContext(ctx, `UPDATE notices SET state = ?, attempts = ?, next_attempt = ?, last_status = ?, delivered = ?, log_index = ? WHERE webhook_id = ?`,
		n.State, n.Attempts, nanos(n.NextAttempt), n.LastStatus, nullNanos(n.Delivered), li, n.WebhookID)
	if err != nil {
		return fmt.Errorf("update notice %s: %w", n.WebhookID, wrap(err))
	}
	return affected(res, "notice "+n.WebhookID)
}

// ClaimNotice leases a due notice until until, if nobody changed it since
// it was read.
func (s *Store) ClaimNotice(ctx context.Context, n store.Notice, until time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE notices SET next_attempt = ? WHERE webhook_id = ? AND state = 'pending' AND attempts = ? AND next_attempt = ?`,
		nanos(until), n.WebhookID, n.Attempts, nanos(n.NextAttempt))
	if err != nil {
		return false, fmt.Errorf("claim notice %s: %w", n.WebhookID, wrap(err))
	}
	k, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim notice %s: %w", n.WebhookID, wrap(err))
	}
	return k == 1, nil
}
