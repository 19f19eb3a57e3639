package taxii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// A next token lets a client continue a query where the previous page
// ended. It is opaque to clients, and it is bound to what produced it, so a
// token cannot be replayed by another user, on another collection or
// endpoint, or with another filter.
//
// Layout, before base64url (no padding) encoding:
//
//	offset  size  field
//	0       1     format version, 1
//	1       1     length u of the user name
//	2       u     user name
//	2+u     1     length c of the collection id
//	3+u     c     collection id
//	3+u+c   1     endpoint (1 objects, 2 manifest, 3 object, 4 versions)
//	4+u+c   16    SHA-256 of the normalized filter, truncated (query.filterKey)
//	20+u+c  8     date_added of the last entry returned, µs since the Unix epoch, big-endian
//	28+u+c  8     expiry, seconds since the Unix epoch, big-endian
//	36+u+c  32    HMAC-SHA256 with Config.NextKey of all the bytes above
//
// For example user "ana" (u=3) on collection
// "7f2b6f3c-2d4e-4a5b-9c8d-1e2f3a4b5c6d" (c=36) gives a token of
// 36+3+36+32 = 107 bytes, 143 characters once encoded.
const nextVersion = 1

// nextState is what a next token carries.
type nextState struct {
	user       string
	collection string
	endpoint   endpoint
	filter     [16]byte
	last       time.Time // date_added of the last entry returned
	expires    time.Time
}

var errBadNext = badRequest("next is invalid or expired; start the query again without next")

func filterHash(key string) [16]byte {
	h := sha256.Sum256([]byte(key))
	return [16]byte(h[:16])
}

func (s *Server) encodeNext(n nextState) string {
	b := make([]byte, 0, 36+len(n.user)+len(n.collection)+sha256.Size)
	b = append(b, nextVersion, byte(len(n.user)))
	b = append(b, n.user...)
	b = append(b, byte(len(n.collection)))
	b = append(b, n.collection...)
	b = append(b, byte(n.endpoint))
	b = append(b, n.filter[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(n.last.UnixMicro()))
	b = binary.BigEndian.AppendUint64(b, uint64(n.expires.Unix()))
	mac := hmac.New(sha256.New, s.cfg.NextKey)
	mac.Write(b)
	b = mac.Sum(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// checkNext verifies token and that it continues the query described by
// want (user, collection, endpoint, filter); it returns the last
// date_added the token carries.
func (s *Server) checkNext(token string, want nextState) (time.Time, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 36+sha256.Size {
		return time.Time{}, errBadNext
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	mac := hmac.New(sha256.New, s.cfg.NextKey)
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), sum) {
		return time.Time{}, errBadNext
	}
	// Signed by us: the layout is ours, but still read it defensively.
	r := body
	take := func(n int) []byte {
		if n > len(r) {
			r = nil
			return nil
		}
		v := r[:n]
		r = r[n:]
		return v
	}
	var got nextState
	ver := take(1)
	if ver == nil || ver[0] != nextVersion {
		return time.Time{}, errBadNext
	}
	if l := take(1); l != nil {
		got.user = string(take(int(l[0])))
	}
	if l := take(1); l != nil {
		got.collection = string(take(int(l[0])))
	}
	if e := take(1); e != nil {
		got.endpoint = endpoint(e[0])
	}
	copy(got.filter[:], take(16))
	last, exp := take(8), take(8)
	if last == nil || exp == nil || len(r) != 0 {
		return time.Time{}, errBadNext
	}
	got.last = time.UnixMicro(int64(binary.BigEndian.Uint64(last))).UTC()
	got.expires = time.Unix(int64(binary.BigEndian.Uint64(exp)), 0)
	if !s.now().Before(got.expires) || got.user != want.user || got.collection != want.collection ||
		got.endpoint != want.endpoint || got.filter != want.filter {
		return time.Time{}, errBadNext
	}
	return got.last, nil
}
