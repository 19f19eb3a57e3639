package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/store"
)

func testOrgs(t *testing.T, s store.Store) {
	ctx := context.Background()
	tests := []struct {
		name    string
		org     auth.Org
		wantErr error
	}{
		{"member", auth.Org{Name: "zeta", Kind: auth.KindMember, Created: ts(1)}, nil},
		{"client of two", auth.Org{Name: "alpha", Kind: auth.KindClient, ClientOf: []string{"zeta", "mid"}, Created: ts(2)}, nil},
		{"member no created", auth.Org{Name: "mid", Kind: auth.KindMember, Created: ts(3)}, nil},
		{"duplicate", auth.Org{Name: "zeta", Kind: auth.KindClient, Created: ts(4)}, store.ErrExists},
	}
	want := map[string]auth.Org{}
	for _, tt := range tests {
		err := s.CreateOrg(ctx, tt.org)
		wantErr(t, tt.name, err, tt.wantErr)
		if tt.wantErr == nil {
			want[tt.org.Name] = tt.org
		}
	}
	for name, w := range want {
		got, err := s.Org(ctx, name)
		if err != nil || !sameOrg(got, w) {
			t.Errorf("Org(%q) = %+v, %v; want %+v", name, got, err, w)
		}
	}
	_, err := s.Org(ctx, "nobody")
	wantErr(t, "Org(nobody)", err, store.ErrNotFound)

	list, err := s.Orgs(ctx)
	if err != nil {
		t.Fatalf("Orgs: %v", err)
	}
	names := []string{}
	for _, o := range list {
		names = append(names, o.Name)
		if !sameOrg(o, want[o.Name]) {
			t.Errorf("Orgs: %+v; want %+v", o, want[o.Name])
		}
	}
	if !sameStrings(names, []string{"alpha", "mid", "zeta"}) {
		t.Errorf("Orgs names = %v; want [alpha mid zeta]", names)
	}
}

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.CreateOrg(ctx, auth.Org{Name: "org1", Kind: auth.KindMember, Created: ts(1)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		user    auth.User
		wantErr error
	}{
		{"admin", auth.User{Name: "bob", Org: "org1", Role: auth.RoleAdmin, Created: ts(1)}, nil},
		{"reader", auth.User{Name: "alice", Org: "org1", Role: auth.RoleReader, Created: ts(2)}, nil},
		{"duplicate", auth.User{Name: "bob", Org: "org1", Role: auth.RoleReader, Created: ts(3)}, store.ErrExists},
		{"missing org", auth.User{Name: "carol", Org: "org2", Role: auth.RoleReader, Created: ts(4)}, store.ErrNotFound},
	}
	want := map[string]auth.User{}
	for _, tt := range tests {
		wantErr(t, tt.name, s.CreateUser(ctx, tt.user), tt.wantErr)
		if tt.wantErr == nil {
			want[tt.user.Name] = tt.user
		}
	}
	for name, w := range want {
		got, err := s.User(ctx, name)
		if err != nil || !sameUser(got, w) {
			t.Errorf("User(%q) = %+v, %v; want %+v", name, got, err, w)
		}
	}
	_, err := s.User(ctx, "carol")
	wantErr(t, "User(carol)", err, store.ErrNotFound)
	list, err := s.Users(ctx)
	if err != nil {
		t.Fatalf("Users: %v", err)
	}
	if len(list) != 2 || list[0].Name != "alice" || list[1].Name != "bob" || !sameUser(list[1], want["bob"]) {
		t.Errorf("Users = %+v; want alice, bob", list)
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.CreateOrg(ctx, auth.Org{Name: "org1", Kind: auth.KindMember, Created: ts(1)}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"u1", "u2"} {
		if err := s.CreateUser(ctx, auth.User{Name: u, Org: "org1", Role: auth.RoleAnalyst, Created: ts(1)}); err != nil {
			t.Fatal(err)
		}
	}
	tok := func(id, user, secret string, expires time.Time) auth.Token {
		return auth.Token{ID: id, User: user, Hash: auth.HashToken(secret), Created: ts(5), Expires: expires}
	}
	tests := []struct {
		name    string
		tok     auth.Token
		wantErr error
	}{
		{"never expires", tok("tok_b", "u1", "s1", time.Time{}), nil},
		{"expires", tok("tok_a", "u1", "s2", ts(3600)), nil},
		{"other user", tok("tok_c", "u2", "s3", time.Time{}), nil},
		{"duplicate id", tok("tok_a", "u2", "s4", time.Time{}), store.ErrExists},
		{"unknown user", tok("tok_d", "nobody", "s5", time.Time{}), store.ErrNotFound},
	}
	want := map[string]auth.Token{}
	for _, tt := range tests {
		wantErr(t, tt.name, s.CreateToken(ctx, tt.tok), tt.wantErr)
		if tt.wantErr == nil {
			want[tt.tok.ID] = tt.tok
		}
	}
	for _, w := range want {
		got, err := s.TokenByHash(ctx, w.Hash)
		if err != nil || !sameToken(got, w) {
			t.Errorf("TokenByHash(%s) = %+v, %v; want %+v", w.ID, got, err, w)
		}
	}
	_, err := s.TokenByHash(ctx, auth.HashToken("s5"))
	wantErr(t, "TokenByHash(unknown)", err, store.ErrNotFound)

	wantErr(t, "RevokeToken(tok_a)", s.RevokeToken(ctx, "tok_a"), nil)
	wantErr(t, "RevokeToken(tok_zz)", s.RevokeToken(ctx, "tok_zz"), store.ErrNotFound)
	got, err := s.TokenByHash(ctx, auth.HashToken("s2"))
	if err != nil || !got.Revoked {
		t.Errorf("revoked token = %+v, %v; want Revoked", got, err)
	}
	if got, _ := s.TokenByHash(ctx, auth.HashToken("s1")); got.Revoked {
		t.Error("revoking tok_a revoked tok_b")
	}

	for _, tt := range []struct {
		user string
		want []string
	}{{"u1", []string{"tok_a", "tok_b"}}, {"u2", []string{"tok_c"}}, {"nobody", nil}} {
		list, err := s.Tokens(ctx, tt.user)
		if err != nil {
			t.Fatalf("Tokens(%s): %v", tt.user, err)
		}
		var ids []string
		for _, tk := range list {
			ids = append(ids, tk.ID)
		}
		if !sameStrings(ids, tt.want) {
			t.Errorf("Tokens(%s) = %v; want %v", tt.user, ids, tt.want)
		}
	}
}

func testCollections(t *testing.T, s store.Store) {
	ctx := context.Background()
	tests := []struct {
		name    string
		c       store.Collection
		wantErr error
	}{
		{"full", store.Collection{
			ID: "b0000000-0000-4000-8000-000000000001", Title: "Ransomware", Description: "Shared with banks.",
			ReadOrgs: []string{"a", "b"}, WriteOrgs: []string{"a"}, Recipients: []string{"b", "c"},
			DefaultTLP: tlpAmber, Created: ts(1),
		}, nil},
		{"open", store.Collection{
			ID: "a0000000-0000-4000-8000-000000000002", Title: "Public",
			ReadOrgs: []string{store.AllOrgs}, DefaultTLP: tlpClear, Created: ts(2).Add(123 * time.Microsecond),
		}, nil},
		{"duplicate", store.Collection{ID: "a0000000-0000-4000-8000-000000000002", Title: "Again", Created: ts(3)}, store.ErrExists},
	}
	var want []store.Collection
	for _, tt := range tests {
		wantErr(t, tt.name, s.CreateCollection(ctx, tt.c), tt.wantErr)
		if tt.wantErr == nil {
			want = append(want, tt.c)
			got, err := s.Collection(ctx, tt.c.ID)
			if err != nil || !sameCollection(got, tt.c) {
				t.Errorf("Collection(%s) = %+v, %v; want %+v", tt.c.ID, got, err, tt.c)
			}
		}
	}
	_, err := s.Collection(ctx, "c0000000-0000-4000-8000-000000000009")
	wantErr(t, "Collection(unknown)", err, store.ErrNotFound)
	list, err := s.Collections(ctx)
	if err != nil {
		t.Fatalf("Collections: %v", err)
	}
	if len(list) != 2 || !sameCollection(list[0], want[1]) || !sameCollection(list[1], want[0]) {
		t.Errorf("Collections = %+v; want by ID %+v", list, []store.Collection{want[1], want[0]})
	}
}
