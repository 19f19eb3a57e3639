package chainindex

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/entente/entente/internal/progress"
)

// TestIngestProgress ingests the mainnet blocks with a progress bar on
// Config.Progress and a clock that advances a millisecond at each reading:
// the bar goes from 0 to all 14,132 blocks and the periodic log lines,
// which that clock would trigger, give way to it.
func TestIngestProgress(t *testing.T) {
	blocks := mainnetBlocks(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { now = now.Add(time.Millisecond); return now }
	var screen, logs bytes.Buffer
	bar := progress.New(progress.Config{Out: &screen, Now: clock, Unit: "blocks", RateUnit: "tx"})
	ix := openIndex(t, t.TempDir(), func(c *Config) {
		c.Progress, c.Now, c.Logger = bar.Update, clock, slog.New(slog.NewTextHandler(&logs, nil))
	})
	defer ix.Close()
	st := ingest(t, ix, blocks)
	if st.Blocks != 14132 {
		t.Fatalf("%d blocks indexed", st.Blocks)
	}
	if elapsed := now.Sub(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)); elapsed < 10*time.Second {
		t.Fatalf("the clock moved only %v: too little to test the log lines", elapsed)
	}
	lines := strings.Split(screen.String(), "\r")[1:]
	if len(lines) < 10 {
		t.Fatalf("%d redraws", len(lines))
	}
	if want := "  0.0% [....................] 0/14,132 blocks  -- tx/s  ETA --"; lines[0] != want {
		t.Errorf("first line %q, want %q", lines[0], want)
	}
	// A block per millisecond, a redraw per 200 ms: the last at block 14,000.
	if want := " 99.1% [###################.] 14,000/14,132 blocks  "; !strings.HasPrefix(lines[len(lines)-1], want) {
		t.Errorf("last line %q, want %q...", lines[len(lines)-1], want)
	}
	if strings.Contains(logs.String(), "msg=ingest") {
		t.Errorf("periodic log lines beside the bar:\n%s", logs.String())
	}

	// Ingesting again adds nothing and says so at once.
	screen.Reset()
	bar.Finish()
	screen.Reset()
	ingest(t, ix, blocks)
	if want := "\r100.0% [####################] 14,132/14,132 blocks  -- tx/s  ETA 0s"; screen.String() != want {
		t.Errorf("second ingest drew %q, want %q", screen.String(), want)
	}
}
