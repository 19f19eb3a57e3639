package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.sha256 from this run")

// goldenRuns are pinned: the "realistic" profile's bytes for these configs
// must never change, because analysts compare measurements made on it
// across releases. A change in testdata/golden is a change to every
// published score, and needs a reason in the commit.
var goldenRuns = []struct {
	name string
	cfg  Config
}{
	{"realistic-seed1", smallConfig(1)},
	{"realistic-defaults-seed42", Config{Seed: 42, Txs: 40_000}},
	{"realistic-named-seed9", Config{Seed: 9, Txs: 20_000, Profile: "realistic", TxsPerBlock: 300, Individuals: 400}},
}

// TestGoldenRealistic pins the SHA-256 of every blk, truth and tag file of
// a few small "realistic" runs. Regenerate with -update only when a change
// of the realistic economy is intended.
func TestGoldenRealistic(t *testing.T) {
	for _, run := range goldenRuns {
		t.Run(run.name, func(t *testing.T) {
			dir, _ := generate(t, run.cfg)
			got := digests(t, dir)
			path := filepath.Join("testdata", "golden", run.name+".sha256")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s: realistic output changed:\n got:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// digests lists every file under dir's blocks/, truth/ and tags/ as
// sha256sum(1) does, so a golden file can be checked by hand with
// `sha256sum -c` from the run's directory.
func digests(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	for _, sub := range []string{"blocks", "truth", "tags"} {
		files, err := filepath.Glob(filepath.Join(dir, sub, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files { // Glob sorts
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			fmt.Fprintf(&b, "%s  %s/%s\n", hex.EncodeToString(sum[:]), sub, filepath.Base(f))
		}
	}
	return b.String()
}
