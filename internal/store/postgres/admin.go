package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
)

// CreateOrg stores a new organization; ErrExists if the name is taken.
func (s *Store) CreateOrg(ctx context.Context, o auth.Org) error {
	_, err := s.pool.Exec(ctx,
		`INSERT INTO orgs (name, kind, client_of, created) VALUES ($1, $2, $3, $4)`,
		o.Name, string(o.Kind), nonNil(o.ClientOf), o.Created)
	if isCode(err, codeUniqueViolation) {
		return fmt.Errorf("organization %q: %w", o.Name, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("postgres: create organization: %w", err)
	}
	return nil
}

const orgCols = `name, kind, client_of, created`

func scanOrg(row pgx.Row) (auth.Org, error) {
	var o auth.Org
	var kind string
	err := row.Scan(&o.Name, &kind, &o.ClientOf, &o.Created)
	o.Kind = auth.OrgKind(kind)
	o.Created = utc(o.Created)
	if len(o.ClientOf) == 0 {
		o.ClientOf = nil
	}
	return o, err
}

// Org returns one organization; ErrNotFound if there is none.
func (s *Store) Org(ctx context.Context, name string) (auth.Org, error) {
	o, err := scanOrg(s.pool.QueryRow(ctx, `SELECT `+orgCols+` FROM orgs WHERE name = $1`, name))
	return o, notFound(err, "organization", name)
}

// Orgs lists the organizations by name.
func (s *Store) Orgs(ctx context.Context) ([]auth.Org, error) {
	return list(ctx, s, `SELECT `+orgCols+` FROM orgs ORDER BY name`, nil, scanOrg)
}

// CreateUser stores a new user; ErrExists if the name is taken, ErrNotFound
// if the organization is missing.
func (s *Store) CreateUser(ctx context.Context, u auth.User) error {
	_, err := s.pool.Exec(ctx,
		`INSERT INTO users (name, org, role, created) VALUES ($1, $2, $3, $4)`,
		u.Name, u.Org, string(u.Role), u.Created)
	switch {
	case isCode(err, codeUniqueViolation):
		return fmt.Errorf("user %q: %w", u.Name, store.ErrExists)
	case isCode(err, codeForeignKeyViolation):
		return fmt.Errorf("organization %q: %w", u.Org, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("postgres: create user: %w", err)
	}
	return nil
}

const userCols = `name, org, role, created`

func scanUser(row pgx.Row) (auth.User, error) {
	var u auth.User
	var role string
	err := row.Scan(&u.Name, &u.Org, &role, &u.Created)
	u.Role = auth.Role(role)
	u.Created = utc(u.Created)
	return u, err
}

// User returns one user; ErrNotFound if there is none.
func (s *Store) User(ctx context.Context, name string) (auth.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE name = $1`, name))
	return u, notFound(err, "user", name)
}

// Users lists the users by name.
func (s *Store) Users(ctx context.Context) ([]auth.User, error) {
	return list(ctx, s, `SELECT `+userCols+` FROM users ORDER BY name`, nil, scanUser)
}

// CreateToken stores a token; ErrExists for a duplicate ID (or hash),
// ErrNotFound if the user is missing.
func (s *Store) CreateToken(ctx context.Context, t auth.Token) error {
	_, err := s.pool.Exec(ctx,
		`INSERT INTO tokens (id, user_name, hash, created, expires, revoked) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.ID, t.User, t.Hash[:], t.Created, nullTime(t.Expires), t.Revoked)
	switch {
	case isCode(err, codeUniqueViolation):
		return fmt.Errorf("token %q: %w", t.ID, store.ErrExists)
	case isCode(err, codeForeignKeyViolation):
		return fmt.Errorf("user %q: %w", t.User, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("postgres: create token: %w", err)
	}
	return nil
}

const tokenCols = `id, user_name, hash, created, expires, revoked`

func scanToken(row pgx.Row) (auth.Token, error) {
	var t auth.Token
	var hash []byte
	var expires *time.Time
	err := row.Scan(&t.ID, &t.User, &hash, &t.Created, &expires, &t.Revoked)
	if err == nil && len(hash) != len(t.Hash) {
		// The CHECK constraint makes this unreachable short of tampering.
		return auth.Token{}, fmt.Errorf("postgres: token %q has a %d-byte hash", t.ID, len(hash))
	}
	copy(t.Hash[:], hash)
	t.Created = utc(t.Created)
	t.Expires = fromNull(expires)
	return t, err
}

// TokenByHash finds a token, revoked or not, by the hash of its secret.
func (s *Store) TokenByHash(ctx context.Context, hash [32]byte) (auth.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = $1`, hash[:]))
	return t, notFound(err, "token", "")
}

// RevokeToken marks a token revoked; ErrNotFound if there is none.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE tokens SET revoked = true WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgres: revoke token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("token %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// Tokens lists a user's tokens by ID.
func (s *Store) Tokens(ctx context.Context, user string) ([]auth.Token, error) {
	return list(ctx, s, `SELECT `+tokenCols+` FROM tokens WHERE user_name = $1 ORDER BY id`, []any{user}, scanToken)
}

// CreateCollection stores a collection; ErrExists for a duplicate ID.
func (s *Store) CreateCollection(ctx context.Context, c store.Collection) error {
	_, err := s.pool.Exec(ctx,
		`INSERT INTO collections (id, title, description, read_orgs, write_orgs, recipients, default_tlp, created)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		c.ID, c.Title, c.Description, nonNil(c.ReadOrgs), nonNil(c.WriteOrgs), nonNil(c.Recipients),
		int16(c.DefaultTLP), c.Created)
	if isCode(err, codeUniqueViolation) {
		return fmt.Errorf("collection %q: %w", c.ID, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("postgres: create collection: %w", err)
	}
	return nil
}

const collectionCols = `id, title, description, read_orgs, write_orgs, recipients, default_tlp, created`

func scanCollection(row pgx.Row) (store.Collection, error) {
	var c store.Collection
	var tlp int16
	err := row.Scan(&c.ID, &c.Title, &c.Description, &c.ReadOrgs, &c.WriteOrgs, &c.Recipients, &tlp, &c.Created)
	c.DefaultTLP = stix.TLP(tlp)
	c.Created = utc(c.Created)
	for _, l := range []*[]string{&c.ReadOrgs, &c.WriteOrgs, &c.Recipients} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	return c, err
}

// Collection returns one collection; ErrNotFound if there is none.
func (s *Store) Collection(ctx context.Context, id string) (store.Collection, error) {
	c, err := scanCollection(s.pool.QueryRow(ctx, `SELECT `+collectionCols+` FROM collections WHERE id = $1`, id))
	return c, notFound(err, "collection", id)
}

// Collections lists the collections by ID.
func (s *Store) Collections(ctx context.Context) ([]store.Collection, error) {
	return list(ctx, s, `SELECT `+collectionCols+` FROM collections ORDER BY id`, nil, scanCollection)
}

// notFound maps pgx.ErrNoRows to store.ErrNotFound.
func notFound(err error, what, key string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		if key == "" {
			return fmt.Errorf("%s: %w", what, store.ErrNotFound)
		}
		return fmt.Errorf("%s %q: %w", what, key, store.ErrNotFound)
	}
	return fmt.Errorf("postgres: read %s: %w", what, err)
}

// list runs a query and scans every row with scan.
func list[T any](ctx context.Context, s *Store, sql string, args []any, scan func(pgx.Row) (T, error)) ([]T, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list: %w", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list: %w", err)
	}
	return out, nil
}
