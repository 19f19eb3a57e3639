package httpauth

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/store/sqlite"
)

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "entente.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := st.CreateOrg(ctx, auth.Org{Name: "unit", Kind: auth.KindMember, Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, auth.User{Name: "ana", Org: "unit", Role: auth.RoleAnalyst, Created: now}); err != nil {
		t.Fatal(err)
	}
	token := func(ttl time.Duration) (string, auth.Token) {
		secret, tok, err := auth.NewToken(nil, "ana", now, ttl)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		return secret, tok
	}
	good, _ := token(0)
	short, _ := token(time.Minute)
	revoked, rt := token(0)
	if err := st.RevokeToken(ctx, rt.ID); err != nil {
		t.Fatal(err)
	}
	clock := now
	a := New(st, func() time.Time { return clock })

	tests := []struct {
		name    string
		header  string
		basic   [2]string
		advance time.Duration
		wantErr bool
	}{
		{name: "bearer", header: "Bearer " + good},
		{name: "bearer lower case scheme", header: "bearer " + good},
		{name: "basic", basic: [2]string{"ana", good}},
		{name: "basic, another user", basic: [2]string{"bob", good}, wantErr: true},
		{name: "none", wantErr: true},
		{name: "other scheme", header: "Digest " + good, wantErr: true},
		{name: "unknown token", header: "Bearer ent_x", wantErr: true},
		{name: "oversized", header: "Bearer " + strings.Repeat("x", maxSecretLen+1), wantErr: true},
		{name: "revoked", header: "Bearer " + revoked, wantErr: true},
		{name: "not yet expired", header: "Bearer " + short},
		{name: "expired, though cached", header: "Bearer " + short, advance: time.Hour, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock = clock.Add(tt.advance)
			r := httptest.NewRequest("GET", "/", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			if tt.basic[0] != "" {
				r.SetBasicAuth(tt.basic[0], tt.basic[1])
			}
			p, err := a.Authenticate(r)
			if tt.wantErr {
				if !errors.Is(err, ErrUnauthenticated) {
					t.Fatalf("err = %v, want ErrUnauthenticated", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.User.Name != "ana" || p.Org.Name != "unit" || p.User.Role != auth.RoleAnalyst {
				t.Errorf("principal = %+v", p)
			}
		})
	}
}
