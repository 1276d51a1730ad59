package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/mla"
	"github.com/accord-dev/accord/internal/store"
)

// MLACases returns the store's mla.Cases: cases as JSON rows whose version
// column makes each Put a compare-and-swap, so several servers sharing the
// database cannot both move a case from the same version.
func (s *Store) MLACases() mla.Cases { return cases{s} }

// cases implements mla.Cases over the mla_cases table.
type cases struct{ s *Store }

// Get implements mla.Cases.
func (c cases) Get(ctx context.Context, id string) (*mla.Case, error) {
	var body string
	err := c.s.pool.QueryRow(ctx, `SELECT body FROM mla_cases WHERE id = $1`, id).Scan(&body)
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
	now := time.Now().UTC()
	switch {
	case m.Version == 0:
		return locale.Errorf("case %s: version 0: %v", m.ID, mla.ErrConflict)
	case m.Version == 1:
		_, err := c.s.pool.Exec(ctx, `INSERT INTO mla_cases(id, version, body, updated) VALUES ($1, 1, $2, $3)`, m.ID, string(body), now)
		if err != nil {
			err = wrap(err)
			if errors.Is(err, store.ErrConflict) {
				return locale.Errorf("case %s: %v", m.ID, mla.ErrExists)
			}
			return fmt.Errorf("store case %s: %w", m.ID, err)
		}
		return nil
	}
	tag, err := c.s.pool.Exec(ctx, `UPDATE mla_cases SET version = $1, body = $2, updated = $3 WHERE id = $4 AND version = $5`,
		int64(m.Version), string(body), now, m.ID, int64(m.Version-1))
	if err != nil {
		return fmt.Errorf("store case %s: %w", m.ID, wrap(err))
	}
	if tag.RowsAffected() == 0 {
		return locale.Errorf("case %s: version %s: %v", m.ID, strconv.FormatUint(m.Version, 10), mla.ErrConflict)
	}
	return nil
}

// List implements mla.Cases.
func (c cases) List(ctx context.Context) ([]*mla.Case, error) {
	out, err := list(ctx, c.s, "list cases", func(r pgx.Row) (*mla.Case, error) {
		var id, body string
		if err := r.Scan(&id, &body); err != nil {
			return nil, wrap(err)
		}
		return decodeCase(id, body)
	}, `SELECT id, body FROM mla_cases ORDER BY id`)
	return out, err
}

// RecordStatement stores a lodged statement.
func (s *Store) RecordStatement(ctx context.Context, st store.Statement) error {
	if err := st.Validate(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO statements(digest, id, type, issuer, jurisdiction, envelope, salt, log_index, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		st.Digest, st.ID, st.Type, st.Issuer, st.Jurisdiction, string(st.Envelope), nonNil(st.Salt), int64(st.LogIndex), st.Created)
	if err != nil {
		return fmt.Errorf("record statement %s: %w", st.ID, wrap(err))
	}
	return nil
}

// ListStatements returns the lodged statements of one type ("" for all),
// oldest first.
func (s *Store) ListStatements(ctx context.Context, typ string) ([]store.Statement, error) {
	return list(ctx, s, "list statements", func(r pgx.Row) (store.Statement, error) {
		var (
			st  store.Statement
			env string
			idx int64
		)
		if err := r.Scan(&st.Digest, &st.ID, &st.Type, &st.Issuer, &st.Jurisdiction, &env, &st.Salt, &idx, &st.Created); err != nil {
			return st, wrap(err)
		}
		st.Envelope, st.LogIndex, st.Created = []byte(env), uint64(idx), st.Created.UTC()
		return st, nil
	}, `SELECT digest, id, type, issuer, jurisdiction, envelope, salt, log_index, created FROM statements
		WHERE $1 = '' OR type = $1 ORDER BY created, log_index`, typ)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
