package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/entente/entente/internal/store"
)

// outcome is one StatusDetail as stored in status_details.
type outcome struct {
	ID      string `json:"i"`
	Version int64  `json:"v"`
	Message string `json:"m,omitempty"`
}

// CreateStatus records a new status; store.ErrExists if the ID is taken.
func (s *Store) CreateStatus(ctx context.Context, st store.Status) error {
	return s.insert(ctx, "create status "+st.ID,
		`INSERT INTO statuses (id, collection, user, requested, total, success_count, failure_count)
		 VALUES (?, ?, ?, ?, ?, ?, ?)`,
		st.ID, st.Collection, st.User, micros(st.RequestTimestamp), st.Total, st.SuccessCount, st.FailureCount)
}

// Status returns a status with its successes and failures in the order
// recorded; store.ErrNotFound if there is none.
func (s *Store) Status(ctx context.Context, id string) (store.Status, error) {
	st := store.Status{ID: id}
	var sid, requested int64
	err := s.r.QueryRowContext(ctx,
		`SELECT sid, collection, user, requested, total, success_count, failure_count FROM statuses WHERE id = ?`, id,
	).Scan(&sid, &st.Collection, &st.User, &requested, &st.Total, &st.SuccessCount, &st.FailureCount)
	if err != nil {
		return store.Status{}, notFound(err, "status "+id)
	}
	st.RequestTimestamp = fromMicros(requested)
	rows, err := s.r.QueryContext(ctx, `SELECT successes, failures FROM status_details WHERE sid = ? ORDER BY seq`, sid)
	if err != nil {
		return store.Status{}, fmt.Errorf("sqlite: status %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var succ, fail []byte
		if err := rows.Scan(&succ, &fail); err != nil {
			return store.Status{}, fmt.Errorf("sqlite: status %s: %w", id, err)
		}
		for _, x := range []struct {
			js   []byte
			list *[]store.StatusDetail
		}{{succ, &st.Successes}, {fail, &st.Failures}} {
			var os []outcome
			if err := json.Unmarshal(x.js, &os); err != nil {
				return store.Status{}, fmt.Errorf("sqlite: status %s: stored details: %w", id, err)
			}
			for _, o := range os {
				*x.list = append(*x.list, store.StatusDetail{ID: o.ID, Version: fromMicros(o.Version), Message: o.Message})
			}
		}
	}
	if err := rows.Err(); err != nil {
		return store.Status{}, fmt.Errorf("sqlite: status %s: %w", id, err)
	}
	return st, nil
}

// PruneStatuses deletes statuses requested before the given time, with
// their details.
func (s *Store) PruneStatuses(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM statuses WHERE requested < ?`, before.UnixMicro())
		if err != nil {
			return fmt.Errorf("sqlite: prune statuses: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}
