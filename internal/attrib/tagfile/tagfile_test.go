package tagfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entente/entente/internal/attrib"
)

var day = time.Date(2026, 11, 22, 21, 0, 0, 0, time.UTC)

func open(t *testing.T, path string, readOnly bool) *File {
	t.Helper()
	f, err := Open(context.Background(), Config{Path: path, ReadOnly: readOnly, Now: func() time.Time { return day }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func tag(addr string, c attrib.Category, actor string) attrib.Tag {
	return attrib.Tag{Address: addr, Currency: "BTC", Category: c, Actor: actor, Source: "test", Confidence: 50}
}

func TestAppendReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tags.jsonl")
	if f := open(t, path, true); f.Len() != 0 {
		t.Fatalf("missing file: %d tags", f.Len())
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("read-only open created the file: %v", err)
	}
	w := open(t, path, false)
	tests := []struct {
		name      string
		batch     []attrib.Tag
		wantAdded int
		wantLen   int
	}{
		{"first", []attrib.Tag{tag("a", attrib.Exchange, "huobi"), tag("b", attrib.Sanctioned, "")}, 2, 2},
		{"duplicate in file and in batch", []attrib.Tag{tag("a", attrib.Exchange, "huobi"), tag("c", attrib.Mixer, ""), tag("c", attrib.Mixer, "")}, 1, 3},
		{"same address, other claim", []attrib.Tag{tag("a", attrib.Exchange, "binance")}, 1, 4},
		{"nothing new", []attrib.Tag{tag("b", attrib.Sanctioned, "")}, 0, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			added, err := w.Append(ctx, tt.batch)
			if err != nil || added != tt.wantAdded || w.Len() != tt.wantLen {
				t.Fatalf("Append = %d, %v; Len %d; want %d, %d", added, err, w.Len(), tt.wantAdded, tt.wantLen)
			}
		})
	}
	r := open(t, path, true)
	if r.Len() != 4 || len(r.Tags("a")) != 2 || r.Tags("a")[1].Actor != "binance" || !r.Tags("b")[0].Created.Equal(day) {
		t.Errorf("reopened: %d tags, a: %+v, b: %+v", r.Len(), r.Tags("a"), r.Tags("b"))
	}
	var addrs []string
	for a := range r.Addresses() {
		addrs = append(addrs, a)
	}
	if strings.Join(addrs, ",") != "a,b,c" {
		t.Errorf("addresses %v", addrs)
	}
	if _, err := r.Append(ctx, []attrib.Tag{tag("d", attrib.Other, "")}); err == nil {
		t.Error("read-only Append succeeded")
	}
	if _, err := w.Append(ctx, []attrib.Tag{tag("e", attrib.Other, ""), tag("", attrib.Other, "")}); !errors.Is(err, attrib.ErrInvalid) || w.Len() != 4 {
		t.Errorf("invalid tag: %v, %d tags", err, w.Len())
	}
}

// TestTwoWriters: a second process's appends are seen before writing, so
// duplicates across writers are still recognised.
func TestTwoWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tags.jsonl")
	w1, w2 := open(t, path, false), open(t, path, false)
	if _, err := w1.Append(ctx, []attrib.Tag{tag("a", attrib.Exchange, "")}); err != nil {
		t.Fatal(err)
	}
	added, err := w2.Append(ctx, []attrib.Tag{tag("a", attrib.Exchange, ""), tag("b", attrib.Exchange, "")})
	if err != nil || added != 1 || w2.Len() != 2 {
		t.Fatalf("second writer: added %d, %v, len %d", added, err, w2.Len())
	}
	if r := open(t, path, true); r.Len() != 2 {
		t.Errorf("file holds %d tags, want 2", r.Len())
	}
}

func TestDamagedFiles(t *testing.T) {
	good := header + "\n" + `{"address":"a","currency":"BTC","category":"exchange","confidence":50}` + "\n"
	tests := []struct {
		name     string
		content  string
		wantLen  int
		wantErr  error
		wantMsg  string
		wantSize int // after a writer opened it; -1 unchanged
	}{
		{"torn last line", good + `{"address":"b","curr`, 1, nil, "", len(good)},
		{"corrupt middle line", good + "{nonsense\n" + good[len(header)+1:], 0, ErrCorrupt, "line 3: ", -1},
		{"invalid tag", good + `{"address":"a b","currency":"BTC","category":"exchange"}` + "\n", 0, ErrCorrupt, "line 3: ", -1},
		{"newer category kept as other", good + `{"address":"b","currency":"BTC","category":"nft_scam"}` + "\n", 2, nil, "", -1},
		{"not a tag file", "hello\n", 0, ErrCorrupt, "line 1 is not", -1},
		{"line too long", header + "\n" + strings.Repeat("x", maxLine+1) + "\n", 0, ErrCorrupt, "longer than", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tags.jsonl")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, ro := range []bool{true, false} {
				f, err := Open(context.Background(), Config{Path: path, ReadOnly: ro})
				if !errors.Is(err, tt.wantErr) || err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("read-only %v: got %v, want %v with %q", ro, err, tt.wantErr, tt.wantMsg)
				}
				if err != nil {
					continue
				}
				if f.Len() != tt.wantLen {
					t.Errorf("read-only %v: %d tags, want %d", ro, f.Len(), tt.wantLen)
				}
				f.Close()
			}
			st, _ := os.Stat(path)
			if want := tt.wantSize; want >= 0 && st.Size() != int64(want) || want < 0 && st.Size() != int64(len(tt.content)) {
				t.Errorf("file is %d bytes after a writer opened it", st.Size())
			}
		})
	}
	b := open(t, filepath.Join(t.TempDir(), "x"), false)
	if got := b.Tags("nowhere"); got != nil {
		t.Errorf("untagged address: %v", got)
	}
}

// FuzzOpen checks that a damaged tag file gives an error or valid tags.
func FuzzOpen(f *testing.F) {
	f.Add([]byte(header + "\n" + `{"address":"a","currency":"BTC","category":"exchange","confidence":50,"created":"2026-11-22T21:00:00Z"}` + "\n"))
	f.Add([]byte(header + "\n{\"address\":\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "tags.jsonl")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		tf, err := Open(context.Background(), Config{Path: path, ReadOnly: true})
		if err != nil {
			return
		}
		defer tf.Close()
		n := 0
		for tg := range tf.All() {
			n++
			if err := tg.Validate(); err != nil {
				t.Fatalf("loaded invalid tag %+v: %v", tg, err)
			}
		}
		if n != tf.Len() {
			t.Fatalf("All yields %d tags, Len %d", n, tf.Len())
		}
	})
}
