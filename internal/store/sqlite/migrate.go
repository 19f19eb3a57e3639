package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/entente/entente/internal/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrations returns the embedded migration scripts; script i (0-based)
// brings the schema from version i to i+1. Files are named NNNN_what.sql and
// must be numbered 1, 2, ... without gaps.
func migrations() ([]string, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var scripts []string
	for i, e := range entries { // ReadDir sorts by name
		num, _, ok := strings.Cut(e.Name(), "_")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n != i+1 {
			return nil, fmt.Errorf("sqlite: migration %s out of sequence: want number %d", e.Name(), i+1)
		}
		b, err := migrationFS.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		scripts = append(scripts, string(b))
	}
	return scripts, nil
}

// migrate brings the schema to the latest version, in one transaction per
// step so that a crash leaves a consistent version. BEGIN IMMEDIATE makes a
// second process opening the same file wait, then see the migrated version.
func (s *Store) migrate(ctx context.Context) error {
	scripts, err := migrations()
	if err != nil {
		return err
	}
	for {
		done := true
		err := s.write(ctx, func(tx *sql.Tx) error {
			var v int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
				return fmt.Errorf("sqlite: read schema version: %w", err)
			}
			if v > len(scripts) {
				return fmt.Errorf("sqlite: database schema version %d, this binary knows up to %d: %w", v, len(scripts), store.ErrSchemaTooNew)
			}
			if v == len(scripts) {
				return nil
			}
			done = false
			if _, err := tx.ExecContext(ctx, scripts[v]); err != nil {
				return fmt.Errorf("sqlite: migration %d: %w", v+1, err)
			}
			// PRAGMA takes no parameters; v+1 is an int we computed.
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
				return fmt.Errorf("sqlite: set schema version %d: %w", v+1, err)
			}
			s.log.Info("migrated database schema", "version", v+1)
			return nil
		})
		if err != nil || done {
			return err
		}
	}
}

// SchemaVersion is the schema version this binary writes.
func SchemaVersion() int {
	scripts, err := migrations()
	if err != nil {
		return 0
	}
	return len(scripts)
}
