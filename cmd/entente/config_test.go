package main

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{"empty", "", map[string]string{}, ""},
		{"comments and blanks", "# c\n\n  # indented\ndata = /x\n", map[string]string{"data": "/x"}, ""},
		{"spaces trimmed", "  listen=  127.0.0.1:1  \r\n", map[string]string{"listen": "127.0.0.1:1"}, ""},
		{"quoted", `title = "a # b \"c\""`, map[string]string{"title": `a # b "c"`}, ""},
		{"equals in value", "store = postgres://u:p=w@h/db", map[string]string{"store": "postgres://u:p=w@h/db"}, ""},
		{"no equals", "data", nil, "test.conf:1: want 'name = value'"},
		{"unknown", "\ndatadir = x", nil, `test.conf:2: unknown setting "datadir"`},
		{"twice", "data = a\ndata = b", nil, "test.conf:2: data is set twice"},
		{"nested config", "config = other.conf", nil, "cannot name another config file"},
		{"bad quote", `data = "x`, nil, "bad quoted value"},
		{"long line", "data = " + strings.Repeat("x", maxConfigLine), nil, "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig("test.conf", strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			vals := map[string]string{}
			for k, v := range got {
				vals[k] = v.value
			}
			if !maps.Equal(vals, tt.want) {
				t.Errorf("got %v, want %v", vals, tt.want)
			}
		})
	}
}

// FuzzParseConfig: whatever parses, written back with quoted values,
// parses to the same settings.
func FuzzParseConfig(f *testing.F) {
	f.Add("data = /var/lib/entente\n# comment\nlisten = \"0.0.0.0:8443\"\n")
	f.Add("max-body=1MiB\r\ntoken-ttl = 30d")
	f.Add(`title = "\x00\u00e9"`)
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseConfig("f", strings.NewReader(in))
		if err != nil {
			return
		}
		var b strings.Builder
		for k, v := range got {
			fmt.Fprintf(&b, "%s = %s\n", k, strconv.Quote(v.value))
		}
		again, err := parseConfig("f", strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("re-parse of %q: %v", b.String(), err)
		}
		if len(again) != len(got) {
			t.Fatalf("%d settings, then %d", len(got), len(again))
		}
		for k, v := range got {
			if again[k].value != v.value {
				t.Fatalf("%s: %q, then %q", k, v.value, again[k].value)
			}
		}
	})
}

func TestFlagValues(t *testing.T) {
	durations := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"0", 0, false},
		{"90m", 90 * time.Minute, false},
		{"30d", 30 * 24 * time.Hour, false},
		{"-1h", 0, true},
		{"d", 0, true},
		{"1.5d", 0, true},
		{"99999999d", 0, true},
	}
	for _, tt := range durations {
		var d durationFlag
		err := d.Set(tt.in)
		if (err != nil) != tt.wantErr || (err == nil && time.Duration(d) != tt.want) {
			t.Errorf("duration %q: %v, %v", tt.in, time.Duration(d), err)
		}
	}
	sizes := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"1024", 1024, false},
		{"32MiB", 32 << 20, false},
		{"2 GiB", 2 << 30, false},
		{"0", 0, true},
		{"-5", 0, true},
		{"1TiB", 0, true},
		{"9999999GiB", 0, true},
	}
	for _, tt := range sizes {
		var z sizeFlag
		err := z.Set(tt.in)
		if (err != nil) != tt.wantErr || (err == nil && int64(z) != tt.want) {
			t.Errorf("size %q: %d, %v", tt.in, z, err)
		}
	}
}

// FuzzFlagValues: the value parsers never panic, and what they accept
// prints back to something they accept with the same value.
func FuzzFlagValues(f *testing.F) {
	for _, s := range []string{"30d", "1h30m", "32MiB", "1024", "-1", "GiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var d, d2 durationFlag
		if d.Set(s) == nil {
			if err := d2.Set(d.String()); err != nil || d2 != d {
				t.Fatalf("duration %q -> %q: %v", s, d.String(), err)
			}
		}
		var z, z2 sizeFlag
		if z.Set(s) == nil {
			if err := z2.Set(z.String()); err != nil || z2 != z || z <= 0 {
				t.Fatalf("size %q -> %q: %v", s, z.String(), err)
			}
		}
	})
}
