package tagfile

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/entente/entente/internal/attrib"
)

func sampleResolution() (*Resolution, []attrib.Tag) {
	tags := []attrib.Tag{
		{Address: "a1", Category: attrib.Exchange, Actor: "x", Confidence: 50},
		{Address: "a1", Category: attrib.Exchange, Actor: "y", Confidence: 80}, // stronger
		{Address: "a2", Category: attrib.Exchange, Actor: "x", Confidence: 50},
		{Address: "a2", Category: attrib.Exchange, Actor: "z", Confidence: 50}, // equal: the first stays
		{Address: "a3", Category: attrib.Mixer, Actor: "m", Confidence: 50},
		{Address: "a4", Category: attrib.Exchange, Actor: "x", Confidence: 50}, // not in the index
		{Address: "a5", Category: attrib.Gambling, Actor: "g", Confidence: 90}, // not wanted
	}
	ids := map[string]uint32{"a1": 7, "a2": 3, "a3": 1 << 31, "a5": 9}
	lookup := func(a string) (uint32, error) {
		if id, ok := ids[a]; ok {
			return id, nil
		}
		return 0, errors.New("not found")
	}
	want := map[attrib.Category]bool{attrib.Exchange: true, attrib.Mixer: true}
	return Resolve(slices.Values(tags), want, lookup), tags
}

func TestResolve(t *testing.T) {
	r, _ := sampleResolution()
	got := map[uint32]Label{}
	for id, l := range r.All() {
		got[id] = l
	}
	want := map[uint32]Label{7: {"y", "exchange"}, 3: {"x", "exchange"}, 1 << 31: {"m", "mixer"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("labels %v, want %v", got, want)
	}
	if len(r.Missing) != 1 || r.Labels[r.Missing["a4"]] != (Label{"x", "exchange"}) {
		t.Errorf("missing %v", r.Missing)
	}
	if n := r.Recheck(func(a string) (uint32, error) {
		if a == "a4" {
			return 11, nil
		}
		return 0, errors.New("not found")
	}); n != 1 || len(r.Missing) != 0 || r.Labels[r.IDs[11]] != (Label{"x", "exchange"}) {
		t.Errorf("recheck found %d; missing %v, id 11 %v", n, r.Missing, r.IDs[11])
	}
}

func TestResolutionFile(t *testing.T) {
	r, _ := sampleResolution()
	path := filepath.Join(t.TempDir(), "labels.res")
	if _, _, ok, err := ReadResolution(path, []byte("k")); ok || err != nil {
		t.Fatalf("no file: ok %v, err %v", ok, err)
	}
	if err := WriteResolution(path, []byte("k"), []byte("anchor"), r); err != nil {
		t.Fatal(err)
	}
	back, anchor, ok, err := ReadResolution(path, []byte("k"))
	if !ok || err != nil || string(anchor) != "anchor" {
		t.Fatalf("ok %v, err %v, anchor %q", ok, err, anchor)
	}
	if !reflect.DeepEqual(back, r) {
		t.Errorf("read back %+v, wrote %+v", back, r)
	}
	if _, _, ok, err := ReadResolution(path, []byte("other key")); ok || err != nil {
		t.Errorf("another key: ok %v, err %v", ok, err)
	}
	b, _ := os.ReadFile(path)
	for _, damage := range []func([]byte) []byte{
		func(b []byte) []byte { b[len(b)/2] ^= 1; return b },
		func(b []byte) []byte { return b[:len(b)-1] },
		func(b []byte) []byte { return b[:10] },
	} {
		os.WriteFile(path, damage(slices.Clone(b)), 0o644)
		if _, _, ok, err := ReadResolution(path, []byte("k")); ok || !errors.Is(err, errResolution) {
			t.Errorf("damaged file: ok %v, err %v", ok, err)
		}
	}
}

// FuzzReadResolution: whatever the bytes (with a valid checksum, so the
// decoder is reached), reading a resolution file fails cleanly or gives
// one that writes back to the same bytes.
func FuzzReadResolution(f *testing.F) {
	r, _ := sampleResolution()
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.res")
	if err := WriteResolution(path, []byte("k"), []byte("a"), r); err != nil {
		f.Fatal(err)
	}
	seed, _ := os.ReadFile(path)
	f.Add(seed[:len(seed)-32])
	f.Fuzz(func(t *testing.T, body []byte) {
		in := filepath.Join(t.TempDir(), "in.res")
		os.WriteFile(in, withSum(body), 0o644)
		got, anchor, ok, err := ReadResolution(in, []byte("k"))
		if err != nil || !ok {
			return
		}
		out := filepath.Join(t.TempDir(), "out.res")
		if err := WriteResolution(out, []byte("k"), anchor, got); err != nil {
			t.Fatal(err)
		}
		again, _, ok, err := ReadResolution(out, []byte("k"))
		if !ok || err != nil || !reflect.DeepEqual(again, got) {
			t.Fatal(fmt.Sprint("round trip differs: ", ok, err))
		}
	})
}

func withSum(body []byte) []byte {
	sum := sha256.Sum256(body)
	return append(slices.Clone(body), sum[:]...)
}
