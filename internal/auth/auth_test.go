package auth

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/entente/entente/internal/stix"
)

func TestCanRead(t *testing.T) {
	// The producer is org "nl" (user "anna"); "de" is a named recipient;
	// "exch" is a declared client of "nl"; "be" is another member; "cl2" a
	// client of "de"; "ext" a client of nobody.
	a := func(tlp stix.TLP) Access {
		return Access{TLP: tlp, ProducerOrg: "nl", ProducerUser: "anna",
			RecipientOrgs: []string{"de"}, RecipientUsers: []string{"bob"}}
	}
	producer := Viewer{User: "anna", Org: "nl", Community: true}
	colleague := Viewer{User: "piet", Org: "nl", Community: true}
	recipient := Viewer{User: "bob", Org: "de", Community: true}
	recipientColleague := Viewer{User: "jan", Org: "de", Community: true}
	member := Viewer{User: "eve", Org: "be", Community: true}
	clientOfProducer := Viewer{User: "ex", Org: "exch", ClientOf: []string{"nl"}}
	clientOfRecipient := Viewer{User: "c2", Org: "cl2", ClientOf: []string{"de"}}
	outsider := Viewer{User: "o", Org: "ext"}
	audience := Viewer{User: "aud", Org: "fr", Community: true, InAudience: true}
	clientOfAudience := Viewer{User: "ca", Org: "cx", ClientOfAudience: true}

	tests := []struct {
		name string
		v    Viewer
		want [5]bool // CLEAR, GREEN, AMBER, AMBER+STRICT, RED
	}{
		{"producer", producer, [5]bool{true, true, true, true, true}},
		{"producer's colleague", colleague, [5]bool{true, true, true, true, false}},
		{"named recipient user", recipient, [5]bool{true, true, true, true, true}},
		{"recipient org colleague", recipientColleague, [5]bool{true, true, true, true, false}},
		{"other member", member, [5]bool{true, true, false, false, false}},
		{"client of producer", clientOfProducer, [5]bool{true, false, true, false, false}},
		{"client of recipient", clientOfRecipient, [5]bool{true, false, true, false, false}},
		{"outsider", outsider, [5]bool{true, false, false, false, false}},
		{"collection audience", audience, [5]bool{true, true, true, true, false}},
		{"client of audience", clientOfAudience, [5]bool{true, false, true, false, false}},
	}
	levels := []stix.TLP{stix.TLPClear, stix.TLPGreen, stix.TLPAmber, stix.TLPAmberStrict, stix.TLPRed}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, l := range levels {
				if got := CanRead(tt.v, a(l)); got != tt.want[i] {
					t.Errorf("TLP %d: CanRead = %v, want %v", l, got, tt.want[i])
				}
			}
		})
	}
	if CanRead(producer, a(stix.TLPUnmarked)) {
		t.Error("an unmarked access (no default applied) must not be readable")
	}
}

func TestToken(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	rnd := bytes.NewReader(bytes.Repeat([]byte{7}, 100))
	secret, tok, err := NewToken(rnd, "anna", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Hash != HashToken(secret) || tok.User != "anna" || !tok.Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("token fields wrong: %+v", tok)
	}
	tests := []struct {
		name    string
		secret  string
		at      time.Time
		revoked bool
		wantErr bool
	}{
		{"valid", secret, now, false, false},
		{"wrong secret", secret + "x", now, false, true},
		{"expired", secret, now.Add(time.Hour), false, true},
		{"revoked", secret, now, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := tok
			tk.Revoked = tt.revoked
			err := tk.Check(tt.secret, tt.at)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Check = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("error %v is not ErrTokenInvalid", err)
			}
		})
	}
	// Two tokens from a real random source differ.
	s1, _, _ := NewToken(nil, "a", now, 0)
	s2, _, _ := NewToken(nil, "a", now, 0)
	if s1 == s2 {
		t.Fatal("two tokens are equal")
	}
}

func TestValidName(t *testing.T) {
	for _, tt := range []struct {
		in      string
		wantErr bool
	}{
		{"nl-nhtcu", false}, {"a", false}, {"user.name_1", false},
		{"", true}, {"-x", true}, {"a b", true}, {"a:b", true}, {string(make([]byte, 65)), true},
	} {
		if err := ValidName(tt.in); (err != nil) != tt.wantErr {
			t.Errorf("ValidName(%q) = %v, wantErr %v", tt.in, err, tt.wantErr)
		}
	}
}
