package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/store"
)

func orgAddFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, url := storeFlags(fs)
	kind := fs.String("kind", "member", "member (part of the community: sees TLP:GREEN) or client (an exchange or company served by members)")
	var clientOf listFlag
	fs.Var(&clientOf, "client-of", "comma-separated organizations this one is a declared client of (sees their TLP:AMBER)")
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("org add", args, "NAME"); err != nil {
			return err
		}
		name := args[0]
		if err := auth.ValidName(name); err != nil {
			return usagef("org add: %v", err)
		}
		k, err := auth.ParseOrgKind(*kind)
		if err != nil {
			return usagef("org add: --kind: %v", err)
		}
		if slices.Contains(clientOf, name) {
			return usagef("org add: --client-of: an organization cannot be a client of itself")
		}
		return withStore(ctx, "org add", *data, *url, func(st store.Store) error {
			if err := checkOrgs(ctx, st, "--client-of", clientOf); err != nil {
				return err
			}
			err := st.CreateOrg(ctx, auth.Org{Name: name, Kind: k, ClientOf: clientOf, Created: e.now().UTC()})
			if errors.Is(err, store.ErrExists) {
				return fmt.Errorf("org add: organization %q already exists", name)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "added %s organization %s\n", k, name)
			return nil
		})
	}
}

func orgListFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, url := storeFlags(fs)
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("org list", args); err != nil {
			return err
		}
		return withStore(ctx, "org list", *data, *url, func(st store.Store) error {
			orgs, err := st.Orgs(ctx)
			if err != nil {
				return err
			}
			tw := newTable(e.stdout)
			fmt.Fprintln(tw, "NAME\tKIND\tCLIENT OF\tCREATED")
			for _, o := range orgs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Name, o.Kind, orDash(strings.Join(o.ClientOf, ",")), formatTime(o.Created))
			}
			return tw.Flush()
		})
	}
}
