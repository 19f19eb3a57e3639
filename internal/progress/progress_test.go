package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// clock is a settable time for the Bar's Now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }
func newBar(out *bytes.Buffer, c *clock) *Bar {
	return New(Config{Out: out, Now: c.now, Unit: "blocks", RateUnit: "tx"})
}

// lastLine returns what the terminal shows after the output: the text after
// the last carriage return that is not the end of the output.
func lastLine(s string) string {
	s = strings.TrimSuffix(s, "\r")
	return s[strings.LastIndexByte(s, '\r')+1:]
}

func TestLine(t *testing.T) {
	type step struct {
		after       time.Duration // since the previous step
		done, total int
		txs         uint64
	}
	tests := []struct {
		name  string
		steps []step
		want  string
	}{
		{"first", []step{{0, 0, 800_000, 0}},
			"  0.0% [....................] 0/800,000 blocks  -- tx/s  ETA --"},
		{"rate and eta", []step{{0, 1000, 2000, 0}, {10 * time.Second, 1500, 2000, 50_000}},
			" 75.0% [###############.....] 1,500/2,000 blocks  5,000 tx/s  ETA 10s"},
		{"hours", []step{{0, 0, 900_000, 0}, {time.Second, 100, 900_000, 2_500}},
			"  0.0% [....................] 100/900,000 blocks  2,500 tx/s  ETA 2h29m"},
		{"stalled", []step{{0, 10, 20, 7}, {time.Second, 10, 20, 7}},
			" 50.0% [##########..........] 10/20 blocks  0 tx/s  ETA --"},
		{"done", []step{{0, 0, 4, 0}, {time.Second, 4, 4, 9}},
			"100.0% [####################] 4/4 blocks  9 tx/s  ETA 0s"},
		{"nothing to do", []step{{0, 0, 0, 0}},
			"  0.0% [....................] 0/0 blocks  -- tx/s  ETA --"},
		{"past total", []step{{0, 5, 3, 0}},
			"100.0% [####################] 5/3 blocks  -- tx/s  ETA 0s"},
		// The rate is over the last ten seconds: a slow start is forgotten.
		{"window", []step{{0, 0, 100, 0}, {20 * time.Second, 10, 100, 10}, {10 * time.Second, 60, 100, 1010}},
			" 60.0% [############........] 60/100 blocks  100 tx/s  ETA 8s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			c := newClock()
			b := newBar(&out, c)
			for _, s := range tt.steps {
				c.advance(s.after)
				b.Update(s.done, s.total, s.txs)
			}
			if got := lastLine(out.String()); strings.TrimRight(got, " ") != tt.want {
				t.Errorf("line\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestThrottle: however often it is told, the bar redraws at most once per
// Every of the injected clock.
func TestThrottle(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := newBar(&out, c)
	for i := range 1000 { // 1000 updates over 2 seconds
		b.Update(i, 1000, uint64(i))
		c.advance(2 * time.Millisecond)
	}
	if n := strings.Count(out.String(), "\r"); n != 10 {
		t.Errorf("%d redraws in 2 s, want 10 (one per 200 ms)", n)
	}
}

// TestShorterLine: a shorter line blanks the end of the longer one before.
func TestShorterLine(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := New(Config{Out: &out, Now: c.now})
	b.Update(999_999, 1_000_000, 0)
	first := out.Len() - 1
	out.Reset()
	c.advance(time.Second)
	b.Update(1, 2, 0)
	got := out.String()
	if len(got)-1 != first {
		t.Errorf("second line %q is %d characters, want the first's %d", got, len(got)-1, first)
	}
	if want := "\r 50.0% [##########..........] 1/2 items  ETA --"; !strings.HasPrefix(got, want) || strings.TrimRight(got, " ") != want {
		t.Errorf("second line %q is not %q and blanks", got, want)
	}
}

func TestFinish(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := newBar(&out, c)
	b.Finish()
	if out.Len() != 0 {
		t.Fatalf("Finish before any Update wrote %q", out.String())
	}
	b.Update(1, 2, 3)
	width := out.Len() - 1
	out.Reset()
	b.Finish()
	if want := "\r" + strings.Repeat(" ", width) + "\r"; out.String() != want {
		t.Errorf("Finish wrote %q, want %q", out.String(), want)
	}
	// Used again, the bar draws at once.
	out.Reset()
	b.Update(2, 2, 3)
	if !strings.HasPrefix(out.String(), "\r100.0%") {
		t.Errorf("after Finish, Update wrote %q", out.String())
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		secs float64
		want string
	}{
		{0, "0s"}, {59.4, "59s"}, {59.6, "1m00s"}, {185, "3m05s"}, {3600, "1h00m"},
		{7620, "2h07m"}, {86400*3 + 4*3600, "3d04h"}, {1e12, ">99d"},
	}
	for _, tt := range tests {
		if got := duration(tt.secs); got != tt.want {
			t.Errorf("duration(%v) = %q, want %q", tt.secs, got, tt.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -12345: "-12,345"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
