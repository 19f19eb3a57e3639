package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
)

// A bundle is written with one query for what is already stored and
// multi-row INSERTs, not a round of statements per object: at 1,000 objects
// per POST the per-statement cost of database/sql and the driver was a
// third of the ingest time.
const (
	objectCols = 14
	insertRows = 64 // rows per INSERT; 64*14 parameters, far below SQLite's limit
)

const insertObjects = `INSERT INTO objects (date_added, coll, id, type, spec_version, vkey, version, tlp,
	producer_org, producer_user, has_recipients, is_first, is_last, raw) VALUES `

// writeStmts are AddObjects' statements, prepared once on the write
// connection.
type writeStmts struct {
	insert1, insertN, clearFirst, clearLast, recipient, detail *sql.Stmt
}

func (ws *writeStmts) prepare(ctx context.Context, db *sql.DB) error {
	row := "(" + strings.Repeat("?, ", objectCols-1) + "?)"
	for _, p := range []struct {
		st    **sql.Stmt
		query string
	}{
		{&ws.insert1, insertObjects + row},
		{&ws.insertN, insertObjects + strings.Repeat(row+", ", insertRows-1) + row},
		{&ws.clearFirst, `UPDATE objects SET is_first = 0 WHERE coll = ? AND id = ? AND vkey = ?`},
		{&ws.clearLast, `UPDATE objects SET is_last = 0 WHERE coll = ? AND id = ? AND vkey = ?`},
		{&ws.recipient, `INSERT OR IGNORE INTO recipients (date_added, kind, name) VALUES (?, ?, ?)`},
		{&ws.detail, `INSERT INTO status_details (sid, seq, successes, failures)
			VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM status_details WHERE sid = ?1), ?2, ?3)`},
	} {
		st, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			ws.close()
			return fmt.Errorf("sqlite: prepare: %w", err)
		}
		*p.st = st
	}
	return nil
}

func (ws *writeStmts) close() {
	for _, st := range []*sql.Stmt{ws.insert1, ws.insertN, ws.clearFirst, ws.clearLast, ws.recipient, ws.detail} {
		if st != nil {
			st.Close()
		}
	}
}

// versions are the stored and added versions of one object id in a
// collection during an AddObjects call.
type versions struct {
	stored         bool  // some version was stored before this call
	oldMin, oldMax int64 // vkey range before this call, when stored
	seen           bool  // min and max are set
	min, max       int64
	dates          map[int64]int64 // vkey -> date_added
}

func (v *versions) add(vkey, dateAdded int64) {
	if !v.seen || vkey < v.min {
		v.min = vkey
	}
	if !v.seen || vkey > v.max {
		v.max = vkey
	}
	v.seen = true
	v.dates[vkey] = dateAdded
}

// AddObjects stores ws in the collection and records them, and failures,
// in the status, in one transaction. See store.Store.
func (s *Store) AddObjects(ctx context.Context, collection, statusID string, ws []store.Write, failures []store.StatusDetail) ([]time.Time, error) {
	for i, w := range ws {
		if w.Object == nil || w.Object.ID == "" || w.Object.Type == "" {
			return nil, fmt.Errorf("sqlite: add objects: write %d has no object, id or type", i)
		}
		// STIX identifiers are ASCII; ids go to SQL as a JSON list, which
		// would silently rewrite invalid UTF-8.
		if !utf8.ValidString(w.Object.ID) {
			return nil, fmt.Errorf("sqlite: add objects: write %d: id %q is not UTF-8", i, w.Object.ID)
		}
		if w.Object.TLP < stix.TLPUnmarked || w.Object.TLP > stix.TLPRed {
			return nil, fmt.Errorf("sqlite: add objects: write %d: invalid TLP %d", i, w.Object.TLP)
		}
	}
	dates := make([]time.Time, len(ws))
	err := s.write(ctx, func(tx *sql.Tx) error {
		var coll, sid, last int64
		err := tx.QueryRowContext(ctx, `SELECT coll FROM collections WHERE id = ?`, collection).Scan(&coll)
		if err != nil {
			return notFound(err, "add objects: collection "+collection)
		}
		if err = tx.QueryRowContext(ctx, `SELECT sid FROM statuses WHERE id = ?`, statusID).Scan(&sid); err != nil {
			return notFound(err, "add objects: status "+statusID)
		}
		if err := tx.QueryRowContext(ctx, `SELECT v FROM meta WHERE k = 'last_date_added'`).Scan(&last); err != nil {
			return fmt.Errorf("sqlite: add objects: %w", err)
		}
		byID, err := storedVersions(ctx, tx, coll, ws)
		if err != nil {
			return err
		}

		// Give each new version its date_added, in order.
		now := s.now().UnixMicro()
		vkeys := make([]int64, len(ws))
		fresh := make([]bool, len(ws))
		successes := make([]outcome, len(ws))
		for i, w := range ws {
			o := w.Object
			if o.Versioned() {
				vkeys[i] = o.Modified.UnixMicro()
			}
			vs := byID[o.ID]
			da, ok := vs.dates[vkeys[i]]
			if !ok {
				da = max(now, last+1)
				last = da
				vs.add(vkeys[i], da)
				fresh[i] = true
			}
			dates[i] = fromMicros(da)
			version := da
			if v := o.Version(); !v.IsZero() {
				version = v.UnixMicro()
			}
			successes[i] = outcome{ID: o.ID, Version: version}
		}

		if err := s.insertObjects(ctx, tx, coll, ws, fresh, vkeys, successes, byID); err != nil {
			return err
		}
		// Older rows that were first or last and no longer are.
		clearFirst, clearLast := tx.StmtContext(ctx, s.ws.clearFirst), tx.StmtContext(ctx, s.ws.clearLast)
		for id, vs := range byID {
			if vs.stored && vs.min != vs.oldMin {
				if _, err := clearFirst.ExecContext(ctx, coll, id, vs.oldMin); err != nil {
					return fmt.Errorf("sqlite: add objects: %w", err)
				}
			}
			if vs.stored && vs.max != vs.oldMax {
				if _, err := clearLast.ExecContext(ctx, coll, id, vs.oldMax); err != nil {
					return fmt.Errorf("sqlite: add objects: %w", err)
				}
			}
		}

		fails := make([]outcome, len(failures))
		for i, f := range failures {
			fails[i] = outcome{ID: f.ID, Version: micros(f.Version), Message: f.Message}
		}
		succJSON, err := json.Marshal(successes)
		if err != nil {
			return fmt.Errorf("sqlite: add objects: status: %w", err)
		}
		failJSON, err := json.Marshal(fails)
		if err != nil {
			return fmt.Errorf("sqlite: add objects: status: %w", err)
		}
		if _, err := tx.StmtContext(ctx, s.ws.detail).ExecContext(ctx, sid, string(succJSON), string(failJSON)); err != nil {
			return fmt.Errorf("sqlite: add objects: status: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE statuses SET success_count = success_count + ?, failure_count = failure_count + ? WHERE sid = ?`,
			len(ws), len(failures), sid); err != nil {
			return fmt.Errorf("sqlite: add objects: status: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE meta SET v = ? WHERE k = 'last_date_added'`, last); err != nil {
			return fmt.Errorf("sqlite: add objects: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return dates, nil
}

// storedVersions reads, in one query, the versions already stored of every
// object id in ws.
func storedVersions(ctx context.Context, tx *sql.Tx, coll int64, ws []store.Write) (map[string]*versions, error) {
	byID := make(map[string]*versions, len(ws))
	ids := make([]string, 0, len(ws))
	for _, w := range ws {
		if _, ok := byID[w.Object.ID]; !ok {
			byID[w.Object.ID] = &versions{dates: map[int64]int64{}}
			ids = append(ids, w.Object.ID)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, vkey, date_added FROM objects
		WHERE coll = ? AND id IN (SELECT value FROM json_each(?))`, coll, jsonList(ids))
	if err != nil {
		return nil, fmt.Errorf("sqlite: add objects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var vkey, da int64
		if err := rows.Scan(&id, &vkey, &da); err != nil {
			return nil, fmt.Errorf("sqlite: add objects: %w", err)
		}
		vs := byID[id]
		if vs == nil {
			return nil, fmt.Errorf("sqlite: add objects: lookup returned unrequested id %q", id)
		}
		vs.add(vkey, da)
		vs.stored, vs.oldMin, vs.oldMax = true, vs.min, vs.max
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: add objects: %w", err)
	}
	return byID, nil
}

// insertObjects inserts the fresh writes, insertRows at a time, with their
// recipients. is_first and is_last come from the versions after the call.
func (s *Store) insertObjects(ctx context.Context, tx *sql.Tx, coll int64, ws []store.Write, fresh []bool, vkeys []int64, successes []outcome, byID map[string]*versions) error {
	insert1, insertN := tx.StmtContext(ctx, s.ws.insert1), tx.StmtContext(ctx, s.ws.insertN)
	recipient := tx.StmtContext(ctx, s.ws.recipient)
	var idx []int
	for i, f := range fresh {
		if f {
			idx = append(idx, i)
		}
	}
	args := make([]any, 0, insertRows*objectCols)
	for len(idx) > 0 {
		n := min(len(idx), insertRows)
		if n < insertRows {
			n = 1
		}
		args = args[:0]
		for _, i := range idx[:n] {
			o, vs := ws[i].Object, byID[ws[i].Object.ID]
			da := vs.dates[vkeys[i]]
			args = append(args, da, coll, o.ID, o.Type, o.SpecVersion, vkeys[i], successes[i].Version, int(o.TLP),
				ws[i].ProducerOrg, ws[i].ProducerUser, len(o.RecipientOrgs)+len(o.RecipientUsers) > 0,
				vkeys[i] == vs.min, vkeys[i] == vs.max, []byte(o.Raw))
		}
		st := insert1
		if n == insertRows {
			st = insertN
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("sqlite: add objects: insert: %w", err)
		}
		for _, i := range idx[:n] {
			o := ws[i].Object
			da := byID[o.ID].dates[vkeys[i]]
			for _, r := range []struct {
				kind  int
				names []string
			}{{recipientOrg, o.RecipientOrgs}, {recipientUser, o.RecipientUsers}} {
				for _, name := range r.names {
					if _, err := recipient.ExecContext(ctx, da, r.kind, name); err != nil {
						return fmt.Errorf("sqlite: add objects: recipients of %s: %w", o.ID, err)
					}
				}
			}
		}
		idx = idx[n:]
	}
	return nil
}

// Recipient kinds in the recipients table.
const (
	recipientOrg  = 0
	recipientUser = 1
)
