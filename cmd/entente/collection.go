package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
)

// tlpNames are the TLP 2.0 levels an operator may name, as FIRST writes them.
var tlpNames = []struct {
	name string
	tlp  stix.TLP
}{
	{"clear", stix.TLPClear},
	{"green", stix.TLPGreen},
	{"amber", stix.TLPAmber},
	{"amber+strict", stix.TLPAmberStrict},
	{"red", stix.TLPRed},
}

func parseTLP(s string) (stix.TLP, error) {
	for _, n := range tlpNames {
		if strings.EqualFold(s, n.name) || strings.EqualFold(s, "tlp:"+n.name) {
			return n.tlp, nil
		}
	}
	return 0, fmt.Errorf("unknown TLP %q: want clear, green, amber, amber+strict or red", s)
}

func tlpName(t stix.TLP) string {
	for _, n := range tlpNames {
		if n.tlp == t {
			return n.name
		}
	}
	return "-"
}

func collectionAddFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, url := storeFlags(fs)
	title := fs.String("title", "", "title of the collection (required)")
	desc := fs.String("description", "", "description of the collection")
	read := listFlag{store.AllOrgs}
	var write, recipients listFlag
	fs.Var(&read, "read", "comma-separated organizations that may read, or * for every organization")
	fs.Var(&write, "write", "comma-separated organizations that may add objects, or * for every organization (default none)")
	fs.Var(&recipients, "recipients", "comma-separated organizations named as recipients of every object (TLP:AMBER, AMBER+STRICT)")
	defTLP := fs.String("default-tlp", "amber", "TLP of objects without a TLP marking: clear, green, amber, amber+strict or red")
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("collection add", args); err != nil {
			return err
		}
		if strings.TrimSpace(*title) == "" {
			return usagef("collection add: --title is required")
		}
		tlp, err := parseTLP(*defTLP)
		if err != nil {
			return usagef("collection add: --default-tlp: %v", err)
		}
		for _, l := range []struct {
			flag  string
			names listFlag
		}{{"--read", read}, {"--write", write}} {
			if slices.Contains(l.names, store.AllOrgs) && len(l.names) > 1 {
				return usagef("collection add: %s: * means every organization and stands alone", l.flag)
			}
		}
		if slices.Contains(recipients, store.AllOrgs) {
			return usagef("collection add: --recipients: name organizations; * is not allowed")
		}
		id, err := uuid.NewRandom()
		if err != nil {
			return err
		}
		return withStore(ctx, "collection add", *data, *url, func(st store.Store) error {
			for _, l := range []struct {
				flag  string
				names listFlag
			}{{"--read", read}, {"--write", write}, {"--recipients", recipients}} {
				if slices.Equal(l.names, listFlag{store.AllOrgs}) {
					continue
				}
				if err := checkOrgs(ctx, st, l.flag, l.names); err != nil {
					return err
				}
			}
			c := store.Collection{
				ID:          id.String(),
				Title:       *title,
				Description: *desc,
				ReadOrgs:    read,
				WriteOrgs:   write,
				Recipients:  recipients,
				DefaultTLP:  tlp,
				Created:     e.now().UTC(),
			}
			if err := st.CreateCollection(ctx, c); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "added collection %q\n", c.Title)
			fmt.Fprintln(e.stdout, c.ID)
			return nil
		})
	}
}

func collectionListFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, url := storeFlags(fs)
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("collection list", args); err != nil {
			return err
		}
		return withStore(ctx, "collection list", *data, *url, func(st store.Store) error {
			cs, err := st.Collections(ctx)
			if err != nil {
				return err
			}
			tw := newTable(e.stdout)
			fmt.Fprintln(tw, "ID\tTITLE\tREAD\tWRITE\tRECIPIENTS\tDEFAULT TLP")
			for _, c := range cs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Title,
					orDash(strings.Join(c.ReadOrgs, ",")), orDash(strings.Join(c.WriteOrgs, ",")),
					orDash(strings.Join(c.Recipients, ",")), tlpName(c.DefaultTLP))
			}
			return tw.Flush()
		})
	}
}
