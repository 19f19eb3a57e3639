package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/store"
)

func userAddFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, url := storeFlags(fs)
	org := fs.String("org", "", "organization of the user (required)")
	role := fs.String("role", "", "admin, analyst (reads and writes) or reader (required)")
	var ttl durationFlag
	fs.Var(&ttl, "token-ttl", "lifetime of the first token, e.g. 720h or 90d; 0 never expires")
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("user add", args, "NAME"); err != nil {
			return err
		}
		name := args[0]
		if err := auth.ValidName(name); err != nil {
			return usagef("user add: %v", err)
		}
		if *org == "" {
			return usagef("user add: --org is required")
		}
		r, err := auth.ParseRole(*role)
		if *role == "" {
			return usagef("user add: --role is required: admin, analyst or reader")
		} else if err != nil {
			return usagef("user add: --role: %v", err)
		}
		return withStore(ctx, "user add", *data, *url, func(st store.Store) error {
			if err := checkOrgs(ctx, st, "--org", []string{*org}); err != nil {
				return err
			}
			err := st.CreateUser(ctx, auth.User{Name: name, Org: *org, Role: r, Created: e.now().UTC()})
			if errors.Is(err, store.ErrExists) {
				return fmt.Errorf("user add: user %q already exists", name)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "added user %s (%s of %s)\n", name, r, *org)
			return issueToken(ctx, e, st, name, time.Duration(ttl))
		})
	}
}

// issueToken makes a token and prints its secret, alone, on stdout: the
// only time anyone sees it.
func issueToken(ctx context.Context, e *env, st store.Store, user string, ttl time.Duration) error {
	secret, tok, err := auth.NewToken(rand.Reader, user, e.now().UTC(), ttl)
	if err != nil {
		return err
	}
	if err := st.CreateToken(ctx, tok); err != nil {
		return err
	}
	expiry := "it does not expire"
	if !tok.Expires.IsZero() {
		expiry = "it expires " + formatTime(tok.Expires)
	}
	fmt.Fprintf(e.stderr, "token %s for %s; %s. The token is printed once below and cannot be shown again.\n"+
		"Use it as the password of HTTP Basic authentication with the user name %s.\n", tok.ID, user, expiry, user)
	fmt.Fprintln(e.stdout, secret)
	return nil
}

func userListFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, url := storeFlags(fs)
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("user list", args); err != nil {
			return err
		}
		return withStore(ctx, "user list", *data, *url, func(st store.Store) error {
			users, err := st.Users(ctx)
			if err != nil {
				return err
			}
			tw := newTable(e.stdout)
			fmt.Fprintln(tw, "NAME\tORG\tROLE\tCREATED")
			for _, u := range users {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Org, u.Role, formatTime(u.Created))
			}
			return tw.Flush()
		})
	}
}
