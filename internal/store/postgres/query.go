package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/store"
)

// args collects the parameters of a statement being built.
type args []any

// add appends v and returns its placeholder.
func (a *args) add(v any) string {
	*a = append(*a, v)
	return fmt.Sprintf("$%d", len(*a))
}

const maxLimit = 1 << 30

// Query returns one page of the collection's entries matching f that v may
// read, ordered by date_added. It fetches Limit+1 rows to learn More
// without a count.
func (s *Store) Query(ctx context.Context, c store.Collection, v auth.Viewer, f store.Filter, withRaw bool) (store.Page, error) {
	if f.Limit <= 0 {
		return store.Page{}, fmt.Errorf("postgres: query: limit %d, want > 0", f.Limit)
	}
	// A page that large is a caller's bug; capping it keeps Limit+1 from
	// overflowing and means nothing for any real collection.
	f.Limit = min(f.Limit, maxLimit)
	f, ok := storableFilter(f)
	if !ok {
		return store.Page{}, nil
	}
	var a args
	cols := `o.object_id, o.type, o.spec_version, o.version, o.date_added_us`
	if withRaw {
		cols += `, o.raw`
	}
	var where []string
	where = append(where, `o.collection_id = `+a.add(c.ID))
	if !f.AddedAfter.IsZero() {
		where = append(where, `o.date_added_us > `+a.add(floorMicro(f.AddedAfter)))
	}
	if len(f.IDs) > 0 {
		where = append(where, `o.object_id = ANY(`+a.add(f.IDs)+`::text[])`)
	}
	if len(f.Types) > 0 {
		where = append(where, `o.type = ANY(`+a.add(f.Types)+`::text[])`)
	}
	where = append(where, versionWhere("o", f, &a)...)
	where = append(where, readable("o", c.DefaultTLP, v, &a))
	sql := `SELECT ` + cols + ` FROM objects o WHERE ` + strings.Join(where, "\n AND ") +
		"\nORDER BY o.date_added_us LIMIT " + a.add(int64(f.Limit)+1)

	rows, err := s.pool.Query(ctx, sql, a...)
	if err != nil {
		return store.Page{}, fmt.Errorf("postgres: query: %w", err)
	}
	defer rows.Close()
	var p store.Page
	for rows.Next() {
		if len(p.Entries) == f.Limit {
			p.More = true
			break
		}
		var e store.Entry
		var added int64
		var raw []byte
		dest := []any{&e.ID, &e.Type, &e.SpecVersion, &e.Version, &added}
		if withRaw {
			dest = append(dest, &raw)
		}
		if err := rows.Scan(dest...); err != nil {
			return store.Page{}, fmt.Errorf("postgres: query: %w", err)
		}
		e.Version = e.Version.UTC()
		e.DateAdded = time.UnixMicro(added).UTC()
		if withRaw {
			e.Raw = raw
		}
		p.Entries = append(p.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return store.Page{}, fmt.Errorf("postgres: query: %w", err)
	}
	return p, nil
}

// Delete removes the versions of one object matching f's Versions and
// SpecVersions that v may read. It takes the writers' lock: it changes the
// object count, and an AddObjects waiting on a row it deletes must not hold
// the lock it needs.
func (s *Store) Delete(ctx context.Context, c store.Collection, v auth.Viewer, id string, f store.Filter) (int, error) {
	f, ok := storableFilter(f)
	if !ok || !validText(id) {
		return 0, nil
	}
	var n int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM clock WHERE id = 1 FOR UPDATE`); err != nil {
			return err
		}
		var a args
		where := []string{
			`o.collection_id = ` + a.add(c.ID),
			`o.object_id = ` + a.add(id),
		}
		where = append(where, versionWhere("o", f, &a)...)
		where = append(where, readable("o", c.DefaultTLP, v, &a))
		tag, err := tx.Exec(ctx, `DELETE FROM objects o WHERE `+strings.Join(where, "\n AND "), a...)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		if n == 0 {
			return nil
		}
		if err := refreshFlags(ctx, tx, c.ID, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE clock SET objects = objects - $1 WHERE id = 1`, n)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: delete: %w", err)
	}
	return int(n), nil
}

// versionWhere returns the conditions for match[spec_version] and
// match[version] on the row aliased o. "first" and "last" are over every
// version of the object in the collection, before TLP filtering, as the
// conformance suite pins down: a viewer who may not read the last version
// gets nothing rather than an older one. The flags they read are kept by
// the writers (see the objects table).
func versionWhere(o string, f store.Filter, a *args) []string {
	var where []string
	if len(f.SpecVersions) > 0 {
		where = append(where, o+`.spec_version = ANY(`+a.add(f.SpecVersions)+`::text[])`)
	} else {
		where = append(where, o+`.latest_spec`)
	}
	vm := f.Versions
	if vm.All {
		return where
	}
	if !vm.First && len(vm.At) == 0 {
		vm.Last = true // the zero VersionMatch
	}
	var alts []string
	if vm.First {
		alts = append(alts, o+`.is_first`)
	}
	if vm.Last {
		alts = append(alts, o+`.is_last`)
	}
	if len(vm.At) > 0 {
		alts = append(alts, o+`.version = ANY(`+a.add(vm.At)+`::timestamptz[])`)
	}
	return append(where, "("+strings.Join(alts, " OR ")+")")
}

// storableFilter drops from f's lists the values no text column can hold
// (they match nothing; match[] parameters come straight from a URL). ok is
// false when a list had values and none is left: nothing can match.
func storableFilter(f store.Filter) (_ store.Filter, ok bool) {
	for _, l := range []*[]string{&f.IDs, &f.Types, &f.SpecVersions} {
		if len(*l) == 0 {
			continue
		}
		if !slices.ContainsFunc(*l, func(s string) bool { return !validText(s) }) {
			continue
		}
		*l = slices.DeleteFunc(slices.Clone(*l), func(s string) bool { return !validText(s) })
		if len(*l) == 0 {
			return f, false
		}
	}
	return f, true
}

// floorMicro is t in whole microseconds since the epoch, rounded down, so
// that "date_added > floorMicro(t)" is exactly "date_added > t".
func floorMicro(t time.Time) int64 {
	us := t.UnixMicro()
	if time.UnixMicro(us).After(t) {
		us--
	}
	return us
}
