package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
)

// isConstraint reports whether err is a UNIQUE/PRIMARY KEY violation
// (unique) or a FOREIGN KEY violation (!unique).
func isConstraint(err error, unique bool) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return unique
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return !unique
	}
	return false
}

// insert runs one INSERT, mapping key violations to the store's errors.
func (s *Store) insert(ctx context.Context, what, query string, args ...any) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, query, args...)
		switch {
		case isConstraint(err, true):
			return fmt.Errorf("sqlite: %s: %w", what, store.ErrExists)
		case isConstraint(err, false):
			return fmt.Errorf("sqlite: %s: %w", what, store.ErrNotFound)
		case err != nil:
			return fmt.Errorf("sqlite: %s: %w", what, err)
		}
		return nil
	})
}

func names(list []string) string {
	if list == nil {
		list = []string{}
	}
	b, _ := json.Marshal(list) // strings always marshal
	return string(b)
}

func parseNames(s string) ([]string, error) {
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("sqlite: stored name list %q: %w", s, err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	return list, nil
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", what, store.ErrNotFound)
	}
	return fmt.Errorf("sqlite: %s: %w", what, err)
}

// CreateOrg adds an organization; store.ErrExists if the name is taken.
func (s *Store) CreateOrg(ctx context.Context, o auth.Org) error {
	return s.insert(ctx, "create organization "+o.Name,
		`INSERT INTO orgs (name, kind, client_of, created) VALUES (?, ?, ?, ?)`,
		o.Name, string(o.Kind), names(o.ClientOf), micros(o.Created))
}

const orgCols = `name, kind, client_of, created`

func scanOrg(sc interface{ Scan(...any) error }) (auth.Org, error) {
	var o auth.Org
	var kind, clientOf string
	var created int64
	if err := sc.Scan(&o.Name, &kind, &clientOf, &created); err != nil {
		return auth.Org{}, err
	}
	o.Kind, o.Created = auth.OrgKind(kind), fromMicros(created)
	var err error
	o.ClientOf, err = parseNames(clientOf)
	return o, err
}

// Org returns one organization; store.ErrNotFound if there is none.
func (s *Store) Org(ctx context.Context, name string) (auth.Org, error) {
	o, err := scanOrg(s.r.QueryRowContext(ctx, `SELECT `+orgCols+` FROM orgs WHERE name = ?`, name))
	if err != nil {
		return auth.Org{}, notFound(err, "organization "+name)
	}
	return o, nil
}

// Orgs lists every organization by name.
func (s *Store) Orgs(ctx context.Context) ([]auth.Org, error) {
	return list(ctx, s.r, scanOrg, `SELECT `+orgCols+` FROM orgs ORDER BY name`)
}

// list runs a query and scans every row with scan.
func list[T any](ctx context.Context, db *sql.DB, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return out, nil
}

// CreateUser adds a user; store.ErrExists if the name is taken,
// store.ErrNotFound if the organization does not exist.
func (s *Store) CreateUser(ctx context.Context, u auth.User) error {
	return s.insert(ctx, "create user "+u.Name,
		`INSERT INTO users (name, org, role, created) VALUES (?, ?, ?, ?)`,
		u.Name, u.Org, string(u.Role), micros(u.Created))
}

const userCols = `name, org, role, created`

func scanUser(sc interface{ Scan(...any) error }) (auth.User, error) {
	var u auth.User
	var role string
	var created int64
	err := sc.Scan(&u.Name, &u.Org, &role, &created)
	u.Role, u.Created = auth.Role(role), fromMicros(created)
	return u, err
}

// User returns one user; store.ErrNotFound if there is none.
func (s *Store) User(ctx context.Context, name string) (auth.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE name = ?`, name))
	if err != nil {
		return auth.User{}, notFound(err, "user "+name)
	}
	return u, nil
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]auth.User, error) {
	return list(ctx, s.r, scanUser, `SELECT `+userCols+` FROM users ORDER BY name`)
}

// CreateToken stores a token; store.ErrExists if its ID or hash is taken,
// store.ErrNotFound if the user does not exist.
func (s *Store) CreateToken(ctx context.Context, t auth.Token) error {
	return s.insert(ctx, "create token "+t.ID,
		`INSERT INTO tokens (id, user, hash, created, expires, revoked) VALUES (?, ?, ?, ?, ?, ?)`,
		t.ID, t.User, t.Hash[:], micros(t.Created), micros(t.Expires), t.Revoked)
}

const tokenCols = `id, user, hash, created, expires, revoked`

func scanToken(sc interface{ Scan(...any) error }) (auth.Token, error) {
	var t auth.Token
	var hash []byte
	var created, expires int64
	if err := sc.Scan(&t.ID, &t.User, &hash, &created, &expires, &t.Revoked); err != nil {
		return auth.Token{}, err
	}
	if len(hash) != len(t.Hash) {
		return auth.Token{}, fmt.Errorf("token %s: stored hash has %d bytes", t.ID, len(hash))
	}
	copy(t.Hash[:], hash)
	t.Created, t.Expires = fromMicros(created), fromMicros(expires)
	return t, nil
}

// TokenByHash finds a token, revoked or not, by the hash of its secret.
func (s *Store) TokenByHash(ctx context.Context, hash [32]byte) (auth.Token, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = ?`, hash[:]))
	if err != nil {
		return auth.Token{}, notFound(err, "token")
	}
	return t, nil
}

// RevokeToken marks a token revoked; store.ErrNotFound if there is none.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked = 1 WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("sqlite: revoke token %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("sqlite: revoke token %s: %w", id, store.ErrNotFound)
		}
		return nil
	})
}

// Tokens lists a user's tokens by ID.
func (s *Store) Tokens(ctx context.Context, user string) ([]auth.Token, error) {
	return list(ctx, s.r, scanToken, `SELECT `+tokenCols+` FROM tokens WHERE user = ? ORDER BY id`, user)
}

// CreateCollection adds a collection; store.ErrExists if the ID is taken.
func (s *Store) CreateCollection(ctx context.Context, c store.Collection) error {
	return s.insert(ctx, "create collection "+c.ID,
		`INSERT INTO collections (id, title, description, read_orgs, write_orgs, recipients, default_tlp, created)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Title, c.Description, names(c.ReadOrgs), names(c.WriteOrgs), names(c.Recipients),
		int(c.DefaultTLP), micros(c.Created))
}

const collectionCols = `id, title, description, read_orgs, write_orgs, recipients, default_tlp, created`

func scanCollection(sc interface{ Scan(...any) error }) (store.Collection, error) {
	var c store.Collection
	var readOrgs, writeOrgs, recipients string
	var def int
	var created int64
	if err := sc.Scan(&c.ID, &c.Title, &c.Description, &readOrgs, &writeOrgs, &recipients, &def, &created); err != nil {
		return store.Collection{}, err
	}
	c.DefaultTLP, c.Created = stix.TLP(def), fromMicros(created)
	var errs [3]error
	c.ReadOrgs, errs[0] = parseNames(readOrgs)
	c.WriteOrgs, errs[1] = parseNames(writeOrgs)
	c.Recipients, errs[2] = parseNames(recipients)
	return c, errors.Join(errs[:]...)
}

// Collection returns one collection; store.ErrNotFound if there is none.
func (s *Store) Collection(ctx context.Context, id string) (store.Collection, error) {
	c, err := scanCollection(s.r.QueryRowContext(ctx, `SELECT `+collectionCols+` FROM collections WHERE id = ?`, id))
	if err != nil {
		return store.Collection{}, notFound(err, "collection "+id)
	}
	return c, nil
}

// Collections lists every collection by ID.
func (s *Store) Collections(ctx context.Context) ([]store.Collection, error) {
	return list(ctx, s.r, scanCollection, `SELECT `+collectionCols+` FROM collections ORDER BY id`)
}
