package postgres_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
	"github.com/entente/entente/internal/store/postgres"
)

// TestHostileText checks that text PostgreSQL cannot hold (NUL, invalid
// UTF-8) gives a clear error or matches nothing, never a driver error or a
// failed status.
func TestHostileText(t *testing.T) {
	ctx := context.Background()
	s := open(t, postgres.NewTestDB(t), nil)
	defer s.Close()
	c := setup(t, s)
	good := write(1, stix.TLPClear, "org1", "u1")
	if _, err := s.AddObjects(ctx, c.ID, newStatus(t, s, c), []store.Write{good}, nil); err != nil {
		t.Fatal(err)
	}
	v := auth.Viewer{User: "u1", Org: "org1", Community: true}

	t.Run("AddObjects", func(t *testing.T) {
		tests := []struct {
			name   string
			mutate func(w *store.Write)
		}{
			{"NUL in id", func(w *store.Write) { w.Object.ID = "indicator--\x00" }},
			{"invalid UTF-8 in type", func(w *store.Write) { w.Object.Type = "\xff" }},
			{"NUL in recipient", func(w *store.Write) { w.Object.RecipientUsers = []string{"a\x00"} }},
		}
		for _, tt := range tests {
			w := write(2, stix.TLPClear, "org1", "u1")
			tt.mutate(&w)
			_, err := s.AddObjects(ctx, c.ID, newStatus(t, s, c), []store.Write{w}, nil)
			if err == nil || !strings.Contains(err.Error(), "not storable text") {
				t.Errorf("%s: AddObjects error %v; want not storable text", tt.name, err)
			}
		}
	})

	t.Run("failure message", func(t *testing.T) {
		st := newStatus(t, s, c)
		fails := []store.StatusDetail{{ID: "bad\x00id", Message: "rejected \xff\x00"}}
		if _, err := s.AddObjects(ctx, c.ID, st, nil, fails); err != nil {
			t.Fatalf("AddObjects with a hostile failure message: %v", err)
		}
		got, err := s.Status(ctx, st)
		if err != nil || len(got.Failures) != 1 || got.Failures[0].Message != "rejected \uFFFD\uFFFD" {
			t.Errorf("Status = %+v, %v; want the message with replacement characters", got, err)
		}
	})

	t.Run("Query", func(t *testing.T) {
		tests := []struct {
			name string
			f    store.Filter
			want int
		}{
			{"only invalid ids", store.Filter{IDs: []string{"\x00"}}, 0},
			{"invalid and valid ids", store.Filter{IDs: []string{"\x00", good.Object.ID}}, 1},
			{"invalid type", store.Filter{Types: []string{"\xfe"}}, 0},
			{"invalid spec_version", store.Filter{SpecVersions: []string{"2.1\x00"}}, 0},
			{"largest limit", store.Filter{Limit: math.MaxInt}, 1},
		}
		for _, tt := range tests {
			if tt.f.Limit == 0 {
				tt.f.Limit = 10
			}
			p, err := s.Query(ctx, c, v, tt.f, false)
			if err != nil || len(p.Entries) != tt.want {
				t.Errorf("%s: Query = %d entries, %v; want %d", tt.name, len(p.Entries), err, tt.want)
			}
		}
		n, err := s.Delete(ctx, c, v, "\x00", store.Filter{Versions: store.VersionMatch{All: true}})
		if err != nil || n != 0 {
			t.Errorf("Delete(NUL id) = %d, %v; want 0", n, err)
		}
	})
}
