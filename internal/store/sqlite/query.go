package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
)

// maxLimit bounds one page whatever the caller asks: a shorter page with
// More set is still a correct answer, and memory stays bounded.
const maxLimit = 100_000

// conds builds the AND of a WHERE clause and its arguments. Only fixed SQL
// goes into the text; every value from outside is an argument, and lists
// are passed as one JSON array, so the statement text (and cache key)
// depends only on which filters are present.
type conds struct {
	parts []string
	args  []any
}

func (c *conds) and(clause string, args ...any) {
	c.parts = append(c.parts, clause)
	c.args = append(c.args, args...)
}

func (c *conds) String() string { return strings.Join(c.parts, " AND ") }

func jsonList[T any](list []T) string {
	b, _ := json.Marshal(list) // strings and ints always marshal
	return string(b)
}

// filter adds the match[] parameters of f that Query and Delete share.
func (c *conds) filter(f store.Filter) {
	if len(f.SpecVersions) > 0 {
		c.and(`o.spec_version IN (SELECT value FROM json_each(?))`, jsonList(f.SpecVersions))
	}
	vm := f.Versions
	if vm.All {
		return
	}
	var or []string
	var args []any
	if vm.First {
		or = append(or, `o.is_first = 1`)
	}
	if vm.Last || !vm.First && len(vm.At) == 0 {
		or = append(or, `o.is_last = 1`)
	}
	if len(vm.At) > 0 {
		at := make([]int64, len(vm.At))
		for i, t := range vm.At {
			at[i] = t.UnixMicro()
		}
		or = append(or, `o.version IN (SELECT value FROM json_each(?))`)
		args = append(args, jsonList(at))
	}
	c.and("("+strings.Join(or, " OR ")+")", args...)
}

// tlp adds auth.CanRead for viewer v, with def applied to unmarked rows.
// Where the viewer's attributes settle a level whatever the row (a
// community member reads all GREEN), that level's test is only the level.
func (c *conds) tlp(def stix.TLP, v auth.Viewer) {
	level := func(l stix.TLP) string {
		if def == l {
			return "o.tlp IN (0, " + strconv.Itoa(int(l)) + ")"
		}
		return "o.tlp = " + strconv.Itoa(int(l))
	}
	recipient := func(kind int, test string) string {
		return `(o.has_recipients AND EXISTS (SELECT 1 FROM recipients r WHERE r.date_added = o.date_added AND r.kind = ` +
			strconv.Itoa(kind) + ` AND ` + test + `))`
	}
	var or []string
	var args []any
	or = append(or, level(stix.TLPClear))

	if v.Community {
		or = append(or, level(stix.TLPGreen))
	} else {
		or = append(or, "("+level(stix.TLPGreen)+" AND o.producer_org = ?)")
		args = append(args, v.Org)
	}

	if v.InAudience || v.ClientOfAudience {
		or = append(or, level(stix.TLPAmber))
	} else if len(v.ClientOf) == 0 {
		or = append(or, "("+level(stix.TLPAmber)+" AND (o.producer_org = ? OR "+recipient(recipientOrg, "r.name = ?")+"))")
		args = append(args, v.Org, v.Org)
	} else {
		or = append(or, "("+level(stix.TLPAmber)+" AND (o.producer_org = ? OR o.producer_org IN (SELECT value FROM json_each(?)) OR "+
			recipient(recipientOrg, "(r.name = ? OR r.name IN (SELECT value FROM json_each(?)))")+"))")
		clientOf := jsonList(v.ClientOf)
		args = append(args, v.Org, clientOf, v.Org, clientOf)
	}

	if v.InAudience {
		or = append(or, level(stix.TLPAmberStrict))
	} else {
		or = append(or, "("+level(stix.TLPAmberStrict)+" AND (o.producer_org = ? OR "+recipient(recipientOrg, "r.name = ?")+"))")
		args = append(args, v.Org, v.Org)
	}

	or = append(or, "("+level(stix.TLPRed)+" AND (o.producer_user = ? OR "+recipient(recipientUser, "r.name = ?")+"))")
	args = append(args, v.User, v.User)

	c.and("("+strings.Join(or, "\n  OR ")+")", args...)
}

// Query returns the entries of collection c matching f that v may read, in
// date_added order. See store.Store.
func (s *Store) Query(ctx context.Context, c store.Collection, v auth.Viewer, f store.Filter, withRaw bool) (store.Page, error) {
	if f.Limit <= 0 {
		return store.Page{}, errors.New("sqlite: query: limit must be positive")
	}
	limit := min(f.Limit, maxLimit)
	var w conds
	w.and(`o.coll = (SELECT coll FROM collections WHERE id = ?)`, c.ID)
	w.and(`o.date_added > ?`, micros(f.AddedAfter))
	if len(f.IDs) > 0 {
		w.and(`o.id IN (SELECT value FROM json_each(?))`, jsonList(f.IDs))
	}
	if len(f.Types) > 0 {
		w.and(`o.type IN (SELECT value FROM json_each(?))`, jsonList(f.Types))
	}
	w.filter(f)
	w.tlp(c.DefaultTLP, v)
	cols := `o.date_added, o.id, o.type, o.spec_version, o.version`
	if withRaw {
		cols += `, o.raw`
	}
	query := `SELECT ` + cols + ` FROM objects o WHERE ` + w.String() + ` ORDER BY o.date_added LIMIT ?`
	rows, err := s.query(ctx, query, append(w.args, limit+1)...)
	if err != nil {
		return store.Page{}, fmt.Errorf("sqlite: query: %w", err)
	}
	defer rows.Close()
	page := store.Page{Entries: make([]store.Entry, 0, min(limit, 1000))}
	dest := make([]any, 0, 6)
	for rows.Next() {
		if len(page.Entries) == limit {
			page.More = true
			break
		}
		var e store.Entry
		var added, version int64
		var raw []byte
		dest = append(dest[:0], &added, &e.ID, &e.Type, &e.SpecVersion, &version)
		if withRaw {
			dest = append(dest, &raw)
		}
		if err := rows.Scan(dest...); err != nil {
			return store.Page{}, fmt.Errorf("sqlite: query: %w", err)
		}
		e.DateAdded, e.Version = fromMicros(added), fromMicros(version)
		if withRaw {
			e.Raw = raw
		}
		page.Entries = append(page.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return store.Page{}, fmt.Errorf("sqlite: query: %w", err)
	}
	return page, nil
}

// Delete removes the versions of one object matching f's Versions and
// SpecVersions that v may read, and returns how many it removed.
func (s *Store) Delete(ctx context.Context, c store.Collection, v auth.Viewer, id string, f store.Filter) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		var coll int64
		err := tx.QueryRowContext(ctx, `SELECT coll FROM collections WHERE id = ?`, c.ID).Scan(&coll)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // nothing to delete
		}
		if err != nil {
			return fmt.Errorf("sqlite: delete: %w", err)
		}
		var w conds
		w.and(`o.coll = ?`, coll)
		w.and(`o.id = ?`, id)
		w.filter(f)
		w.tlp(c.DefaultTLP, v)
		res, err := tx.ExecContext(ctx, `DELETE FROM objects WHERE date_added IN (SELECT o.date_added FROM objects o WHERE `+w.String()+`)`, w.args...)
		if err != nil {
			return fmt.Errorf("sqlite: delete %s: %w", id, err)
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return nil
		}
		// The first or last version may be gone: mark the new ones.
		_, err = tx.ExecContext(ctx, `UPDATE objects SET
			is_first = (vkey = (SELECT MIN(vkey) FROM objects WHERE coll = ?1 AND id = ?2)),
			is_last = (vkey = (SELECT MAX(vkey) FROM objects WHERE coll = ?1 AND id = ?2))
			WHERE coll = ?1 AND id = ?2`, coll, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete %s: %w", id, err)
		}
		return nil
	})
	return int(n), err
}
