package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
	"github.com/entente/entente/internal/store/postgres"
)

// TestAddDeleteRace adds and deletes versions of the same objects from
// several goroutines: no deadlock, no error, and the object count that
// Stats keeps in the clock row agrees with the table.
func TestAddDeleteRace(t *testing.T) {
	ctx := context.Background()
	url := postgres.NewTestDB(t)
	s := open(t, url, nil)
	defer s.Close()
	c := setup(t, s)
	v := auth.Viewer{User: "u1", Org: "org1", Community: true}
	const workers, rounds, objects = 4, 15, 10
	statuses := make([][]string, workers) // made here: t.Fatal only on the test goroutine
	for w := range workers {
		for range rounds {
			statuses[w] = append(statuses[w], newStatus(t, s, c))
		}
	}
	errs := make(chan error, workers*2)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { // adders
			for r := range rounds {
				ws := make([]store.Write, objects)
				for i := range ws {
					ws[i] = write(i+(w+r)%3, stix.TLPClear, "org1", "u1")
				}
				if _, err := s.AddObjects(ctx, c.ID, statuses[w][r], ws, nil); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() { // deleters
			for r := range rounds {
				id := write((w+r)%objects, stix.TLPClear, "org1", "u1").Object.ID
				if _, err := s.Delete(ctx, c, v, id, store.Filter{Versions: store.VersionMatch{All: true}}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n, firsts, lasts int64
	if err := conn.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE is_first), count(*) FILTER (WHERE is_last) FROM objects`).Scan(&n, &firsts, &lasts); err != nil {
		t.Fatal(err)
	}
	if st.Objects != n {
		t.Errorf("Stats.Objects = %d; the table holds %d", st.Objects, n)
	}
	// Each write() object has one version: it is its own first and last.
	if firsts != n || lasts != n {
		t.Errorf("%d rows, %d first, %d last; want all", n, firsts, lasts)
	}
}
