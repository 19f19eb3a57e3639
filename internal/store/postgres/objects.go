package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/entente/entente/internal/store"
)

// insertChunk is how many rows one INSERT carries: large enough that a
// TAXII envelope takes few round trips, small enough to bound the memory of
// one statement on both sides.
const insertChunk = 1000

// AddObjects stores ws in one transaction, serialized with every other
// writer by the clock row lock; see the package doc.
func (s *Store) AddObjects(ctx context.Context, collection, statusID string, ws []store.Write, failures []store.StatusDetail) ([]time.Time, error) {
	for i, w := range ws {
		if w.Object == nil {
			return nil, fmt.Errorf("postgres: add objects: write %d has no object", i)
		}
		if err := checkWrite(w); err != nil {
			return nil, fmt.Errorf("postgres: add objects: write %d: %w", i, err)
		}
	}
	dates := make([]time.Time, len(ws))
	var count int64 // objects after the call
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var last int64
		if err := tx.QueryRow(ctx, `SELECT last_us, objects FROM clock WHERE id = 1 FOR UPDATE`).Scan(&last, &count); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM collections WHERE id = $1)`, collection).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("collection %q: %w", collection, store.ErrNotFound)
		}
		objs, err := loadVersions(ctx, tx, collection, ws)
		if err != nil {
			return err
		}
		// Read now only while holding the lock, so that a writer that waited
		// cannot assign a time before one that committed first.
		now := s.now().UnixMicro()
		var fresh []*version
		for i, w := range ws {
			o := w.Object
			k := keyOf(o.ID, o.Modified)
			if v, ok := objs.byKey[k]; ok { // stored already, or earlier in ws
				dates[i] = time.UnixMicro(v.dateAdded).UTC()
				continue
			}
			last = max(now, last+1)
			v := &version{w: &ws[i], dateAdded: last, versionUS: o.Version().UnixMicro(), spec: specOf(o.SpecVersion)}
			if o.Version().IsZero() {
				v.versionUS = last
			}
			objs.byKey[k] = v
			objs.byID[o.ID] = append(objs.byID[o.ID], v)
			fresh = append(fresh, v)
			dates[i] = time.UnixMicro(last).UTC()
		}
		changed := objs.markFlags()
		if err := insertVersions(ctx, tx, collection, fresh); err != nil {
			return err
		}
		if err := updateFlags(ctx, tx, changed); err != nil {
			return err
		}
		count += int64(len(fresh))
		if _, err := tx.Exec(ctx, `UPDATE clock SET last_us = $1, objects = $2 WHERE id = 1`, last, count); err != nil {
			return err
		}
		return recordOutcome(ctx, tx, statusID, ws, dates, failures)
	})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("postgres: add objects: %w", err)
	}
	s.maybeAnalyze(ctx, count)
	return dates, nil
}

// maybeAnalyze runs ANALYZE on the objects table each time it has doubled
// since the last time (from 1,000 rows on). Without statistics the planner
// takes a page query for a few rows and sorts the whole collection instead
// of walking the date_added index: a bulk import would make every query
// slow until autovacuum's next round. Doubling keeps the cost at
// O(log n) ANALYZEs, each reading a bounded sample.
func (s *Store) maybeAnalyze(ctx context.Context, count int64) {
	prev := s.analyzed.Load()
	if count < 1000 || count < 2*prev || !s.analyzed.CompareAndSwap(prev, count) {
		return
	}
	start := time.Now()
	if _, err := s.pool.Exec(ctx, `ANALYZE objects`); err != nil {
		s.log.WarnContext(ctx, "analyze objects", "err", err)
		return
	}
	s.log.DebugContext(ctx, "analyzed objects", "rows", count, "took", time.Since(start))
}

// version is one version of an object in a collection, stored or being
// added (w set).
type version struct {
	w         *store.Write
	dateAdded int64 // µs
	versionUS int64 // Entry.Version in µs
	spec      string
	// The flags of the row; for a stored row, as read and then as they
	// must become.
	first, last, latestSpec      bool
	wasFirst, wasLast, wasLatest bool
}

// versions are the versions of the objects one AddObjects call touches.
type versions struct {
	byID  map[string][]*version
	byKey map[versionKey]*version
}

// loadVersions reads every stored version of the objects in ws.
func loadVersions(ctx context.Context, tx pgx.Tx, collection string, ws []store.Write) (versions, error) {
	vs := versions{byID: make(map[string][]*version), byKey: make(map[versionKey]*version)}
	ids := make([]string, 0, len(ws))
	seen := make(map[string]bool, len(ws))
	for _, w := range ws {
		if !seen[w.Object.ID] {
			seen[w.Object.ID] = true
			ids = append(ids, w.Object.ID)
		}
	}
	rows, err := tx.Query(ctx, `
		SELECT object_id, modified, version, date_added_us, spec_version, is_first, is_last, latest_spec
		FROM objects WHERE collection_id = $1 AND object_id = ANY($2)`, collection, ids)
	if err != nil {
		return vs, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var mod *time.Time
		var ver time.Time
		v := new(version)
		if err := rows.Scan(&id, &mod, &ver, &v.dateAdded, &v.spec, &v.wasFirst, &v.wasLast, &v.wasLatest); err != nil {
			return vs, err
		}
		v.versionUS = ver.UnixMicro()
		vs.byID[id] = append(vs.byID[id], v)
		vs.byKey[keyOf(id, fromNull(mod))] = v
	}
	return vs, rows.Err()
}

// markFlags sets first, last and latestSpec on every version of every
// object that gained one, and returns the stored versions whose flags
// change.
func (vs versions) markFlags() []*version {
	var changed []*version
	for _, l := range vs.byID {
		if !slices.ContainsFunc(l, func(v *version) bool { return v.w != nil }) {
			continue
		}
		less := func(a, b *version) bool {
			return a.versionUS < b.versionUS || a.versionUS == b.versionUS && a.dateAdded < b.dateAdded
		}
		first, last, spec := l[0], l[0], l[0].spec
		for _, v := range l[1:] {
			if less(v, first) {
				first = v
			}
			if less(last, v) {
				last = v
			}
			spec = max(spec, v.spec) // bytewise, as COLLATE "C" in refreshFlags
		}
		for _, v := range l {
			v.first, v.last, v.latestSpec = v == first, v == last, v.spec == spec
			if v.w == nil && (v.first != v.wasFirst || v.last != v.wasLast || v.latestSpec != v.wasLatest) {
				changed = append(changed, v)
			}
		}
	}
	return changed
}

// checkWrite refuses what a PostgreSQL text column cannot hold (a NUL, or
// bytes that are not UTF-8) with a clear error instead of a driver one. The
// STIX parser never lets such an identifier through; Raw is bytea and may
// hold anything.
func checkWrite(w store.Write) error {
	o := w.Object
	fields := append([]string{o.ID, o.Type, o.SpecVersion, w.ProducerOrg, w.ProducerUser}, o.RecipientOrgs...)
	for _, f := range append(fields, o.RecipientUsers...) {
		if !validText(f) {
			return fmt.Errorf("object %q: %q is not storable text (NUL or invalid UTF-8)", cleanText(o.ID), cleanText(f))
		}
	}
	return nil
}

// validText reports whether s fits a PostgreSQL text value.
func validText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// cleanText makes s storable as text, for what is a report rather than a
// key (status messages quote rejected input).
func cleanText(s string) string {
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", "\uFFFD"), "\uFFFD")
}

func specOf(s string) string {
	if s == "" {
		return "2.1" // stix.Object's documented default
	}
	return s
}

// insertVersions inserts the new rows in chunks.
func insertVersions(ctx context.Context, tx pgx.Tx, collection string, vs []*version) error {
	for start := 0; start < len(vs); start += insertChunk {
		chunk := vs[start:min(start+insertChunk, len(vs))]
		n := len(chunk)
		var (
			dateAdded = make([]int64, n)
			ids       = make([]string, n)
			types     = make([]string, n)
			specs     = make([]string, n)
			modified  = make([]*time.Time, n)
			versions  = make([]time.Time, n)
			tlps      = make([]int16, n)
			porgs     = make([]string, n)
			pusers    = make([]string, n)
			rorgs     = make([]string, n)
			rusers    = make([]string, n)
			raws      = make([][]byte, n)
			flags     = make([]int16, n)
		)
		for j, v := range chunk {
			o := v.w.Object
			dateAdded[j], ids[j], types[j], specs[j] = v.dateAdded, o.ID, o.Type, v.spec
			modified[j] = nullTime(o.Modified)
			versions[j] = time.UnixMicro(v.versionUS)
			tlps[j] = int16(o.TLP)
			porgs[j], pusers[j] = v.w.ProducerOrg, v.w.ProducerUser
			rorgs[j], rusers[j] = jsonList(o.RecipientOrgs), jsonList(o.RecipientUsers)
			raws[j] = o.Raw
			if raws[j] == nil {
				raws[j] = []byte{}
			}
			flags[j] = packFlags(v)
		}
		// unnest turns the parallel arrays into rows in one statement; the
		// recipient lists travel as JSON because unnest would flatten a
		// two-dimensional array, and the three flags as one bit set.
		_, err := tx.Exec(ctx, `
			INSERT INTO objects (date_added_us, collection_id, object_id, type, spec_version, modified, version,
				tlp, producer_org, producer_user, recipient_orgs, recipient_users, raw,
				is_first, is_last, latest_spec)
			SELECT d, $1, i, t, sv, m, v, l, po, pu,
				ARRAY(SELECT jsonb_array_elements_text(ro::jsonb)),
				ARRAY(SELECT jsonb_array_elements_text(ru::jsonb)), r,
				f & 1 <> 0, f & 2 <> 0, f & 4 <> 0
			FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[],
				$8::smallint[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bytea[], $14::smallint[])
				AS u(d, i, t, sv, m, v, l, po, pu, ro, ru, r, f)`,
			collection, dateAdded, ids, types, specs, modified, versions, tlps, porgs, pusers, rorgs, rusers, raws, flags)
		if err != nil {
			return err
		}
	}
	return nil
}

func packFlags(v *version) int16 {
	var f int16
	if v.first {
		f |= 1
	}
	if v.last {
		f |= 2
	}
	if v.latestSpec {
		f |= 4
	}
	return f
}

// updateFlags writes the new flags of stored versions.
func updateFlags(ctx context.Context, tx pgx.Tx, vs []*version) error {
	if len(vs) == 0 {
		return nil
	}
	ds := make([]int64, len(vs))
	fs := make([]int16, len(vs))
	for i, v := range vs {
		ds[i], fs[i] = v.dateAdded, packFlags(v)
	}
	_, err := tx.Exec(ctx, `
		UPDATE objects o SET is_first = u.f & 1 <> 0, is_last = u.f & 2 <> 0, latest_spec = u.f & 4 <> 0
		FROM unnest($1::bigint[], $2::smallint[]) AS u(d, f)
		WHERE o.date_added_us = u.d`, ds, fs)
	return err
}

// refreshFlags recomputes the flags of one object's versions from what is
// stored, after a delete.
func refreshFlags(ctx context.Context, tx pgx.Tx, collection, id string) error {
	_, err := tx.Exec(ctx, `
		UPDATE objects o SET is_first = w.f, is_last = w.l, latest_spec = w.s
		FROM (SELECT date_added_us,
				row_number() OVER (ORDER BY version, date_added_us) = 1 AS f,
				row_number() OVER (ORDER BY version DESC, date_added_us DESC) = 1 AS l,
				spec_version COLLATE "C" = max(spec_version COLLATE "C") OVER () AS s
			FROM objects WHERE collection_id = $1 AND object_id = $2) w
		WHERE o.date_added_us = w.date_added_us
			AND (o.is_first, o.is_last, o.latest_spec) IS DISTINCT FROM (w.f, w.l, w.s)`,
		collection, id)
	return err
}

// jsonList encodes a recipient list for the INSERT; a []string always
// marshals.
func jsonList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l)
	return string(b)
}

// versionKey identifies a stored version within a collection: the object
// and its modified, or the object alone when it has no modified, since such
// an object has a single version.
type versionKey struct {
	id       string
	modified int64 // µs; 0 with versioned false
	versed   bool
}

func keyOf(id string, modified time.Time) versionKey {
	if modified.IsZero() {
		return versionKey{id: id}
	}
	return versionKey{id: id, modified: modified.UnixMicro(), versed: true}
}
