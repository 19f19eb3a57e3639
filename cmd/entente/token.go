package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/entente/entente/internal/store"
)

func tokenAddFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, url := storeFlags(fs)
	var ttl durationFlag
	fs.Var(&ttl, "ttl", "lifetime of the token, e.g. 720h or 90d; 0 never expires")
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("token add", args, "USER"); err != nil {
			return err
		}
		return withStore(ctx, "token add", *data, *url, func(st store.Store) error {
			if err := checkUser(ctx, st, args[0]); err != nil {
				return err
			}
			return issueToken(ctx, e, st, args[0], time.Duration(ttl))
		})
	}
}

func checkUser(ctx context.Context, st store.Store, name string) error {
	_, err := st.User(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no user %q (see 'entente user list')", name)
	}
	return err
}

func tokenRevokeFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, url := storeFlags(fs)
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("token revoke", args, "TOKEN_ID"); err != nil {
			return err
		}
		return withStore(ctx, "token revoke", *data, *url, func(st store.Store) error {
			err := st.RevokeToken(ctx, args[0])
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("token revoke: no token %q (ids look like tok_...; see 'entente token list USER')", args[0])
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "revoked token %s\n", args[0])
			return nil
		})
	}
}

func tokenListFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, url := storeFlags(fs)
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("token list", args, "USER"); err != nil {
			return err
		}
		return withStore(ctx, "token list", *data, *url, func(st store.Store) error {
			if err := checkUser(ctx, st, args[0]); err != nil {
				return err
			}
			toks, err := st.Tokens(ctx, args[0])
			if err != nil {
				return err
			}
			now := e.now()
			tw := newTable(e.stdout)
			fmt.Fprintln(tw, "ID\tSTATE\tCREATED\tEXPIRES")
			for _, t := range toks {
				state := "active"
				switch {
				case t.Revoked:
					state = "revoked"
				case !t.Expires.IsZero() && !now.Before(t.Expires):
					state = "expired"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, state, formatTime(t.Created), formatTime(t.Expires))
			}
			return tw.Flush()
		})
	}
}
