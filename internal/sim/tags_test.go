package sim

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// headerKeys returns the top-level keys of a TagPack before "tags:", and
// the lines after it.
func headerKeys(t *testing.T, path string) (keys []string, tags []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i, l := range lines {
		k, _, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("%s: line %q has no key", path, l)
		}
		if k == "tags" {
			return keys, lines[i+1:]
		}
		keys = append(keys, k)
	}
	t.Fatalf("%s: no tags", path)
	return nil, nil
}

// TestTagPacks checks that each generated TagPack has the header fields of
// a real GraphSense pack, one address per tag, and that every tagged
// address belongs to the entity the pack is about.
func TestTagPacks(t *testing.T) {
	want, _ := headerKeys(t, filepath.Join("testdata", "tagpack", "hydra.yaml"))
	slices.Sort(want)
	dir, _ := generate(t, Config{Seed: 5, Txs: 20_000, TxsPerBlock: 200, Individuals: 500})
	owner := map[string]string{}
	names := map[string]string{}
	for _, r := range readCSV(t, filepath.Join(dir, "truth", "entities.csv")) {
		names[r[0]] = r[2]
	}
	for _, r := range readCSV(t, filepath.Join(dir, "truth", "addresses.csv")) {
		owner[r[0]] = strings.ToLower(names[r[1]])
	}
	packs, _ := filepath.Glob(filepath.Join(dir, "tags", "*.yaml"))
	if len(packs) != 17 {
		t.Errorf("%d TagPacks, want 17 (8 exchanges, market, mixer, 2 coordinators, 5 pools)", len(packs))
	}
	tagLine := regexp.MustCompile(`^- address: ([0-9A-Za-z]+)$`)
	for _, p := range packs {
		keys, tags := headerKeys(t, p)
		label := ""
		data, _ := os.ReadFile(p)
		if m := regexp.MustCompile(`(?m)^label: (.*)$`).FindSubmatch(data); m != nil {
			label = string(m[1])
		}
		slices.Sort(keys)
		if !slices.Equal(keys, want) {
			t.Errorf("%s: header keys %v, want those of a real pack %v", p, keys, want)
		}
		if len(tags) == 0 {
			t.Errorf("%s: no tags", p)
		}
		for _, l := range tags {
			m := tagLine.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("%s: tag line %q", p, l)
			}
			if got := owner[m[1]]; got != label {
				t.Fatalf("%s: %s belongs to %q, not %q", p, m[1], got, label)
			}
		}
	}
}
