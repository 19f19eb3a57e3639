package postgres

import (
	"fmt"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
)

// readable is auth.CanRead as a SQL condition on the row aliased o, with the
// collection default applied to unmarked rows. It must say exactly what
// CanRead says; FuzzReadable checks it against CanRead on a real server.
//
// The TLP levels are written in as integer literals (they come from the
// stix constants, never from input); everything about the viewer is a
// parameter.
func readable(o string, def stix.TLP, v auth.Viewer, a *args) string {
	org := a.add(v.Org) + `::text`
	user := a.add(v.User) + `::text`
	community := a.add(v.Community) + `::boolean`
	inAudience := a.add(v.InAudience) + `::boolean`
	clientOfAudience := a.add(v.ClientOfAudience) + `::boolean`
	clientOf := a.add(nonNil(v.ClientOf)) + `::text[]`
	return fmt.Sprintf(`(CASE (CASE WHEN %[1]s.tlp = %[2]d THEN %[3]d ELSE %[1]s.tlp END)
		WHEN %[4]d THEN true
		WHEN %[5]d THEN %[9]s OR %[1]s.producer_org = %[10]s
		WHEN %[6]d THEN %[1]s.producer_org = %[10]s OR %[11]s OR %[12]s
			OR %[10]s = ANY(%[1]s.recipient_orgs) OR %[1]s.producer_org = ANY(%[13]s)
			OR %[1]s.recipient_orgs && %[13]s
		WHEN %[7]d THEN %[1]s.producer_org = %[10]s OR %[11]s OR %[10]s = ANY(%[1]s.recipient_orgs)
		WHEN %[8]d THEN %[1]s.producer_user = %[14]s OR %[14]s = ANY(%[1]s.recipient_users)
		ELSE false END)`,
		o, stix.TLPUnmarked, def,
		stix.TLPClear, stix.TLPGreen, stix.TLPAmber, stix.TLPAmberStrict, stix.TLPRed,
		community, org, inAudience, clientOfAudience, clientOf, user)
}
