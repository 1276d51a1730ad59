package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/mla"
	"github.com/accord-dev/accord/internal/store"
)

// MLACases returns the store's mla.Cases: cases as JSON rows whose version
// column makes each Put a compare-and-swap.
func (s *Store) MLACases() mla.Cases { return cases{s} }

// cases implements mla.Cases over the mla_cases table.
type cases struct{ s *Store }

// Get implements mla.Cases.
func (c cases) Get(ctx context.Context, id string) (*mla.Case, error) {
	var body string
	err := c.s.r.QueryRowContext(ctx, `SELECT body FROM mla_cases WHERE id = ?`, id).Scan(&body)
	if err != nil {
		err = wrap(err)
		if errors.Is(err, store.ErrNotFound) {
			return nil, locale.Errorf("case %s: %v (%v)", id, mla.ErrNotFound, err)
		}
		return nil, fmt.Errorf("case %s: %w", id, err)
	}
	return decodeCase(id, body)
}

func decodeCase(id, body string) (*mla.Case, error) {
	var m mla.Case
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return nil, fmt.Errorf("stored case %s: %w", id, err)
	}
	return &m, nil
}

// Put implements mla.Cases: version 1 inserts (mla.ErrExists if the id is
// taken); a later version replaces the row only if it holds the version
// before (mla.ErrConflict otherwise).
func (c cases) Put(ctx context.Context, m *mla.Case) error {
	if m.ID == "" {
		return fmt.Errorf("%w: case id is empty", store.ErrInvalid)
	}
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode case %s: %w", m.ID, err)
	}
	now := nanos(time.Now())
	switch {
	case m.Version == 0:
		return locale.Errorf("case %s: version 0: %v", m.ID, mla.ErrConflict)
	case m.Version == 1:
		_, err := c.s.w.ExecContext(ctx, `INSERT INTO mla_cases(id, version, body, updated) VALUES (?, 1, ?, ?)`, m.ID, string(body), now)
		if err != nil {
			err = wrap(err)
			if errors.Is(err, store.ErrConflict) {
				return locale.Errorf("case %s: %v", m.ID, mla.ErrExists)
			}
			return fmt.Errorf("store case %s: %w", m.ID, err)
		}
		return nil
	}
	res, err := c.s.w.ExecContext(ctx, `UPDATE mla_cases SET version = ?, body = ?, updated = ? WHERE id = ? AND version = ?`,
		int64(m.Version), string(body), now, m.ID, int64(m.Version-1))
	if err != nil {
		return fmt.Errorf("store case %s: %w", m.ID, wrap(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store case %s: %w", m.ID, wrap(err))
	}
	if n == 0 {
		return locale.Errorf("case %s: version %s: %v", m.ID, strconv.FormatUint(m.Version, 10), mla.ErrConflict)
	}
	return nil
}

// List implements mla.Cases.
func (c cases) List(ctx context.Context) ([]*mla.Case, error) {
	rows, err := c.s.r.QueryContext(ctx, `SELECT id, body FROM mla_cases ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", wrap(err))
	}
	defer rows.Close()
	var out []*mla.Case
	for rows.Next() {
		var id, body string
		if err := rows.Scan(&id, &body); err != nil {
			return nil, fmt.Errorf("list cases: %w", wrap(err))
		}
		m, err := decodeCase(id, body)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list cases: %w", wrap(err))
	}
	return out, nil
}

// RecordStatement stores a lodged statement.
func (s *Store) RecordStatement(ctx context.Context, st store.Statement) error {
	if err := st.Validate(); err != nil {
		return err
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO statements(digest, id, type, issuer, jurisdiction, envelope, salt, log_index, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		st.Digest, st.ID, st.Type, st.Issuer, st.Jurisdiction, string(st.Envelope), nonNilBytes(st.Salt), int64(st.LogIndex), nanos(st.Created))
	if err != nil {
		return fmt.Errorf("record statement %s: %w", st.ID, wrap(err))
	}
	return nil
}

// ListStatements returns the lodged statements of one type ("" for all),
// oldest first.
func (s *Store) ListStatements(ctx context.Context, typ string) ([]store.Statement, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT digest, id, type, issuer, jurisdiction, envelope, salt, log_index, created FROM statements
		WHERE ? = '' OR type = ? ORDER BY created, log_index`, typ, typ)
	if err != nil {
		return nil, fmt.Errorf("list statements: %w", wrap(err))
	}
	defer rows.Close()
	var out []store.Statement
	for rows.Next() {
		var (
			st       store.Statement
			env      string
			idx, crt int64
		)
		if err := rows.Scan(&st.Digest, &st.ID, &st.Type, &st.Issuer, &st.Jurisdiction, &env, &st.Salt, &idx, &crt); err != nil {
			return nil, fmt.Errorf("list statements: %w", wrap(err))
		}
		st.Envelope, st.LogIndex, st.Created = []byte(env), uint64(idx), fromNanos(crt)
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list statements: %w", wrap(err))
	}
	return out, nil
}
