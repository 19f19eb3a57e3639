package postgres

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
)

// FuzzReadable checks that the SQL form of the TLP rule says exactly what
// auth.CanRead says, for any object access and any viewer, evaluating it on
// a real server over a one-row VALUES list shaped like the objects table.
// Lists are comma-separated in the fuzz input.
func FuzzReadable(f *testing.F) {
	seeds := []struct {
		tlp, def                      int8
		porg, puser, rorgs, rusers    string
		vuser, vorg, clientOf         string
		community, inAud, clientOfAud bool
	}{
		{0, 0, "prod", "pu", "", "", "vu", "v", "", true, false, false},
		{0, 2, "prod", "pu", "", "", "vu", "v", "", true, false, false},
		{2, 0, "prod", "pu", "", "", "vu", "v", "", false, false, false},
		{3, 0, "prod", "pu", "recip", "", "vu", "cli", "recip,x", false, false, false},
		{3, 0, "prod", "pu", "", "", "vu", "cli", "prod", false, false, false},
		{3, 0, "prod", "pu", "", "", "vu", "cli", "", false, false, true},
		{4, 0, "prod", "pu", "recip", "", "vu", "recip", "", false, false, false},
		{4, 3, "prod", "pu", "", "", "vu", "aud", "", false, true, false},
		{5, 0, "prod", "pu", "", "vu,x", "vu", "other", "", true, true, true},
		{5, 0, "prod", "pu", "", "", "pu", "other", "", false, false, false},
		{7, 1, "p'); DROP TABLE x; --", "pu", "", "", "vu", "v", "", true, true, true},
	}
	for _, s := range seeds {
		f.Add(s.tlp, s.def, s.porg, s.puser, s.rorgs, s.rusers, s.vuser, s.vorg, s.clientOf, s.community, s.inAud, s.clientOfAud)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testPG.DB(f))
	if err != nil {
		f.Fatal(err)
	}
	defer conn.Close(ctx)

	f.Fuzz(func(t *testing.T, tlp, def int8, porg, puser, rorgs, rusers, vuser, vorg, clientOf string, community, inAud, clientOfAud bool) {
		for _, s := range []string{porg, puser, rorgs, rusers, vuser, vorg, clientOf} {
			// PostgreSQL text holds valid UTF-8 without NUL; names are
			// checked long before (auth.ValidName), so nothing else reaches
			// a store.
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Skip()
			}
		}
		acc := auth.Access{TLP: stix.TLP(tlp), ProducerOrg: porg, ProducerUser: puser,
			RecipientOrgs: split(rorgs), RecipientUsers: split(rusers)}
		if acc.TLP == stix.TLPUnmarked {
			acc.TLP = stix.TLP(def)
		}
		v := auth.Viewer{User: vuser, Org: vorg, Community: community, ClientOf: split(clientOf),
			InAudience: inAud, ClientOfAudience: clientOfAud}
		want := auth.CanRead(v, acc)

		var a args
		row := `(VALUES (` + a.add(int16(tlp)) + `::smallint, ` + a.add(porg) + `::text, ` + a.add(puser) + `::text, ` +
			a.add(nonNil(acc.RecipientOrgs)) + `::text[], ` + a.add(nonNil(acc.RecipientUsers)) + `::text[]))
			AS o(tlp, producer_org, producer_user, recipient_orgs, recipient_users)`
		sql := `SELECT ` + readable("o", stix.TLP(def), v, &a) + ` FROM ` + row
		var got bool
		if err := conn.QueryRow(ctx, sql, a...).Scan(&got); err != nil {
			t.Fatalf("query: %v\n%s", err, sql)
		}
		if got != want {
			t.Errorf("SQL readable = %v, auth.CanRead = %v\nviewer %+v\naccess %+v (default %d)", got, want, v, acc, def)
		}
	})
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
