package taxii

import (
	"bytes"
	"encoding/base64"
	"testing"
	"time"
)

func testServer(now time.Time) *Server {
	return &Server{
		cfg: Config{NextKey: bytes.Repeat([]byte{1}, 32), NextTTL: time.Hour},
		now: func() time.Time { return now },
	}
}

func TestNextRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	s := testServer(now)
	last := time.Date(2026, 11, 22, 9, 59, 59, 123456000, time.UTC)
	want := nextState{user: "ana", collection: colShared, endpoint: epObjects, filter: filterHash("k")}
	st := want
	st.last, st.expires = last, now.Add(time.Hour)
	tok := s.encodeNext(st)
	if got, err := s.checkNext(tok, want); err != nil || !got.Equal(last) {
		t.Fatalf("checkNext = %v, %v; want %v", got, err, last)
	}
	other := testServer(now)
	other.cfg.NextKey = bytes.Repeat([]byte{2}, 32)
	if _, err := other.checkNext(tok, want); err == nil {
		t.Error("a token signed with another key was accepted")
	}
	b, _ := base64.RawURLEncoding.DecodeString(tok)
	for i := range b {
		for _, bit := range []byte{1, 0x80} {
			c := bytes.Clone(b)
			c[i] ^= bit
			if _, err := s.checkNext(base64.RawURLEncoding.EncodeToString(c), want); err == nil {
				t.Fatalf("flipping bit %#x of byte %d went unnoticed", bit, i)
			}
		}
		if _, err := s.checkNext(base64.RawURLEncoding.EncodeToString(b[:i]), want); err == nil {
			t.Fatalf("token truncated to %d bytes accepted", i)
		}
	}
}

// FuzzNextToken: decoding never panics, and only the server's own tokens
// verify.
func FuzzNextToken(f *testing.F) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	s := testServer(now)
	want := nextState{user: "ana", collection: colShared, endpoint: epManifest, filter: filterHash("k")}
	st := want
	st.last, st.expires = now, now.Add(time.Minute)
	good := s.encodeNext(st)
	f.Add(good)
	f.Add("")
	f.Add("AAAA")
	f.Add(good[:len(good)-1])
	f.Fuzz(func(t *testing.T, tok string) {
		last, err := s.checkNext(tok, want)
		if err == nil && (tok != good || !last.Equal(now)) {
			t.Fatalf("forged token %q accepted (last %v)", tok, last)
		}
	})
}

// FuzzAccept: content negotiation never panics and always decides.
func FuzzAccept(f *testing.F) {
	for _, s := range []string{"", "*/*", MediaType, "text/html;q=0.5, application/*", "a/b;version=\"2.1\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		err := checkAccept([]string{accept})
		if err != nil && err.(*apiError).status != 406 {
			t.Fatalf("Accept %q: %v", accept, err)
		}
		err = checkContentType(accept)
		if err != nil && err.(*apiError).status != 415 {
			t.Fatalf("Content-Type %q: %v", accept, err)
		}
	})
}
