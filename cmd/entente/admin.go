package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/entente/entente/internal/node"
	"github.com/entente/entente/internal/store"
)

// storeFlags are the flags every command that opens the store shares, with
// --config because every such command reads settings.
func storeFlags(fs *flag.FlagSet) (data, storeURL *string) {
	data = fs.String("data", "entente-data", "data directory of the node (SQLite store, key, certificates)")
	storeURL = fs.String("store", "", "PostgreSQL URL (postgres://...) to use instead of the SQLite store in --data")
	fs.String("config", "", "config file of 'name = value' lines, see 'entente help config'")
	return data, storeURL
}

// withStore opens the store named by the flags for one admin command. It
// is safe while the node runs: SQLite is in WAL mode with a busy timeout,
// and PostgreSQL is PostgreSQL. Only "org add", the first command on a new
// node, may create a SQLite store; the others name a mistyped --data.
func withStore(ctx context.Context, cmd, data, url string, f func(store.Store) error) error {
	if data == "" && url == "" {
		return usagef("%s: give --data DIR or --store postgres://...", cmd)
	}
	if url == "" && cmd != "org add" {
		if _, err := os.Stat(filepath.Join(data, node.SQLiteFile)); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: no node in %s (no %s there); start with 'entente org add --data %s ORG'", cmd, data, node.SQLiteFile, data)
		}
	}
	st, err := node.OpenStore(ctx, node.StoreConfig{Dir: data, URL: url})
	if err != nil {
		return err
	}
	err = f(st)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}

// checkOrgs checks that every named organization exists.
func checkOrgs(ctx context.Context, st store.Store, flagName string, names []string) error {
	for _, n := range names {
		if _, err := st.Org(ctx, n); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s: no organization %q (see 'entente org list')", flagName, n)
		} else if err != nil {
			return err
		}
	}
	return nil
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
