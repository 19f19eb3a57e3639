// Package progress draws a one-line progress bar for long jobs run from a
// terminal, such as indexing the Bitcoin chain, so that an analyst sees how
// far the job is and when it will end:
//
//	42.5% [########..........] 12,345/29,000 blocks  5,432 tx/s  ETA 3m05s
//
// The line is redrawn in place with a carriage return, at most five times a
// second however often it is told of progress, and [Bar.Finish] clears it.
// Rates and the time left are taken over the last ten seconds, so they
// follow the job's current speed rather than its average; the time left
// assumes the remaining items go at that speed, which for Bitcoin blocks,
// larger later in the chain, makes it optimistic early on.
//
// It is not a logger: whether stderr is a terminal, and what to write when
// it is not, is the caller's decision. A Bar is not safe for concurrent use.
package progress

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Defaults of [Config].
const (
	DefaultEvery  = 200 * time.Millisecond
	DefaultWindow = 10 * time.Second
)

const (
	barWidth   = 20
	maxSamples = 64 // bounds the window's memory whatever Every and Window are
)

// Config configures [New].
type Config struct {
	// Out receives the line, normally a terminal's stderr. Required.
	Out io.Writer
	// Now gives the time. Optional; default time.Now.
	Now func() time.Time
	// Unit names what done and total count, plural. Optional; default
	// "items".
	Unit string
	// RateUnit names what the count of [Bar.Update] counts; its rate is
	// shown per second. Optional; default "" shows no rate.
	RateUnit string
	// Every is the least time between redraws. Optional; default
	// DefaultEvery.
	Every time.Duration
	// Window is the span over which rates are measured. Optional; default
	// DefaultWindow.
	Window time.Duration
}

type sample struct {
	t     time.Time
	done  int
	count uint64
}

// Bar is a progress line. The zero value is not usable; call [New].
type Bar struct {
	cfg     Config
	drawn   bool
	last    time.Time // of the last redraw
	width   int       // of the line last drawn, to blank what it leaves
	samples []sample  // at redraws within the window, oldest first
	buf     []byte
}

// New returns a Bar that draws nothing until the first [Bar.Update].
func New(cfg Config) *Bar {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Unit == "" {
		cfg.Unit = "items"
	}
	if cfg.Every <= 0 {
		cfg.Every = DefaultEvery
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	return &Bar{cfg: cfg}
}

// Update tells the bar that done of total items are finished and that
// count (of RateUnit) have been processed so far. The first call draws;
// later ones redraw only when Every has passed since the last redraw.
func (b *Bar) Update(done, total int, count uint64) {
	now := b.cfg.Now()
	if b.drawn && now.Sub(b.last) < b.cfg.Every {
		return
	}
	b.drawn, b.last = true, now
	b.record(sample{now, done, count})
	b.draw(b.line(done, total, count))
}

// record adds a sample and drops those older than the window, keeping the
// newest one older than it as the start of the span.
func (b *Bar) record(s sample) {
	b.samples = append(b.samples, s)
	drop := 0
	for drop+1 < len(b.samples) && s.t.Sub(b.samples[drop+1].t) >= b.cfg.Window {
		drop++
	}
	if n := len(b.samples) - drop; n > maxSamples {
		drop = len(b.samples) - maxSamples
	}
	if drop > 0 {
		b.samples = append(b.samples[:0], b.samples[drop:]...)
	}
}

func (b *Bar) line(done, total int, count uint64) string {
	var sb strings.Builder
	frac := 0.0
	if total > 0 {
		frac = min(max(float64(done)/float64(total), 0), 1)
	}
	fill := int(frac * barWidth)
	fmt.Fprintf(&sb, "%5.1f%% [%s%s] %s/%s %s", 100*frac,
		strings.Repeat("#", fill), strings.Repeat(".", barWidth-fill),
		thousands(int64(done)), thousands(int64(total)), b.cfg.Unit)

	first, cur := b.samples[0], b.samples[len(b.samples)-1]
	span := cur.t.Sub(first.t).Seconds()
	if b.cfg.RateUnit != "" {
		if span > 0 && cur.count >= first.count {
			fmt.Fprintf(&sb, "  %s %s/s", thousands(int64(float64(cur.count-first.count)/span+0.5)), b.cfg.RateUnit)
		} else {
			fmt.Fprintf(&sb, "  -- %s/s", b.cfg.RateUnit)
		}
	}
	eta := "--"
	if left := total - done; left <= 0 && total > 0 {
		eta = "0s"
	} else if rate := float64(cur.done-first.done) / span; span > 0 && rate > 0 {
		eta = duration(float64(left) / rate)
	}
	sb.WriteString("  ETA " + eta)
	return sb.String()
}

// draw overwrites the current line with s, blanking what a longer line
// before it left on screen.
func (b *Bar) draw(s string) {
	b.buf = append(b.buf[:0], '\r')
	b.buf = append(b.buf, s...)
	if pad := b.width - len(s); pad > 0 {
		b.buf = append(b.buf, strings.Repeat(" ", pad)...)
	}
	b.width = len(s)
	// A progress line that cannot be written is not worth failing the job.
	b.cfg.Out.Write(b.buf)
}

// Finish blanks the line and returns the cursor to its start, so that what
// is written next starts on a clean line. The Bar may be used again.
func (b *Bar) Finish() {
	if b.drawn {
		b.cfg.Out.Write([]byte("\r" + strings.Repeat(" ", b.width) + "\r"))
	}
	b.drawn, b.width, b.samples = false, 0, b.samples[:0]
}

// thousands formats n with commas between groups of three digits.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var sb strings.Builder
	if neg {
		sb.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(c)
	}
	return sb.String()
}

// duration formats a time left in seconds coarsely: 42s, 3m05s, 2h07m,
// 3d04h.
func duration(secs float64) string {
	if !(secs < 100*86400) { // also NaN
		return ">99d"
	}
	s := int64(secs + 0.5)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
}
