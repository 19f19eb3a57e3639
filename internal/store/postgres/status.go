package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/entente/entente/internal/store"
)

// recordOutcome adds the writes as successes and the failures to the
// status, after those it already holds.
func recordOutcome(ctx context.Context, tx pgx.Tx, statusID string, ws []store.Write, dates []time.Time, failures []store.StatusDetail) error {
	var seq int
	err := tx.QueryRow(ctx, `
		UPDATE statuses SET success_count = success_count + $2, failure_count = failure_count + $3
		WHERE id = $1
		RETURNING (SELECT coalesce(max(seq), 0) FROM status_details WHERE status_id = $1)`,
		statusID, len(ws), len(failures)).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("status %q: %w", statusID, store.ErrNotFound)
	}
	if err != nil {
		return err
	}
	n := len(ws) + len(failures)
	if n == 0 {
		return nil
	}
	seqs := make([]int32, 0, n)
	success := make([]bool, 0, n)
	ids := make([]string, 0, n)
	versions := make([]*time.Time, 0, n)
	msgs := make([]string, 0, n)
	for i, w := range ws {
		v := w.Object.Version()
		if v.IsZero() {
			v = dates[i]
		}
		seq++
		seqs, success, ids = append(seqs, int32(seq)), append(success, true), append(ids, w.Object.ID)
		versions, msgs = append(versions, &v), append(msgs, "")
	}
	for _, f := range failures {
		seq++
		seqs, success, ids = append(seqs, int32(seq)), append(success, false), append(ids, cleanText(f.ID))
		versions, msgs = append(versions, nullTime(f.Version)), append(msgs, cleanText(f.Message))
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO status_details (status_id, seq, success, object_id, version, message)
		SELECT $1, * FROM unnest($2::integer[], $3::boolean[], $4::text[], $5::timestamptz[], $6::text[])`,
		statusID, seqs, success, ids, versions, msgs)
	return err
}

// CreateStatus stores a new status; ErrExists for a duplicate ID.
func (s *Store) CreateStatus(ctx context.Context, st store.Status) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO statuses (id, collection_id, user_name, request_timestamp, total, success_count, failure_count)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			st.ID, st.Collection, st.User, st.RequestTimestamp, st.Total, st.SuccessCount, st.FailureCount)
		if err != nil {
			return err
		}
		return insertDetails(ctx, tx, st.ID, st.Successes, st.Failures)
	})
	if isCode(err, codeUniqueViolation) {
		return fmt.Errorf("status %q: %w", st.ID, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("postgres: create status: %w", err)
	}
	return nil
}

// insertDetails stores details given with a new status.
func insertDetails(ctx context.Context, tx pgx.Tx, id string, succ, fail []store.StatusDetail) error {
	seq := 0
	for _, l := range []struct {
		ok bool
		ds []store.StatusDetail
	}{{true, succ}, {false, fail}} {
		for _, d := range l.ds {
			seq++
			if _, err := tx.Exec(ctx, `
				INSERT INTO status_details (status_id, seq, success, object_id, version, message)
				VALUES ($1, $2, $3, $4, $5, $6)`,
				id, seq, l.ok, cleanText(d.ID), nullTime(d.Version), cleanText(d.Message)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Status returns one status with its details; ErrNotFound if there is none.
func (s *Store) Status(ctx context.Context, id string) (store.Status, error) {
	var st store.Status
	err := s.pool.QueryRow(ctx, `
		SELECT id, collection_id, user_name, request_timestamp, total, success_count, failure_count
		FROM statuses WHERE id = $1`, id).
		Scan(&st.ID, &st.Collection, &st.User, &st.RequestTimestamp, &st.Total, &st.SuccessCount, &st.FailureCount)
	if err != nil {
		return store.Status{}, notFound(err, "status", id)
	}
	st.RequestTimestamp = utc(st.RequestTimestamp)
	rows, err := s.pool.Query(ctx, `
		SELECT success, object_id, version, message FROM status_details WHERE status_id = $1 ORDER BY seq`, id)
	if err != nil {
		return store.Status{}, fmt.Errorf("postgres: read status: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ok bool
		var d store.StatusDetail
		var v *time.Time
		if err := rows.Scan(&ok, &d.ID, &v, &d.Message); err != nil {
			return store.Status{}, fmt.Errorf("postgres: read status: %w", err)
		}
		d.Version = fromNull(v)
		if ok {
			st.Successes = append(st.Successes, d)
		} else {
			st.Failures = append(st.Failures, d)
		}
	}
	if err := rows.Err(); err != nil {
		return store.Status{}, fmt.Errorf("postgres: read status: %w", err)
	}
	return st, nil
}

// PruneStatuses deletes statuses requested before the given time, with
// their details.
func (s *Store) PruneStatuses(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM statuses WHERE request_timestamp < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: prune statuses: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
