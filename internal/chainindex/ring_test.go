package chainindex

import (
	"path/filepath"
	"testing"
)

// checkRings checks every cluster's member ring against the forest: it
// holds exactly the addresses whose root is its root, as many as the
// root's size.
func checkRings(t *testing.T, ix *Index) {
	t.Helper()
	members := map[uint32]int{}
	if err := ix.Roots(func(id, root uint32) { members[root]++ }); err != nil {
		t.Fatal(err)
	}
	merged := 0
	for root, n := range members {
		ids, err := ix.ClusterMembers(root, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != n || uint32(n) != ix.size.u32(root) {
			t.Fatalf("cluster %d: ring of %d, %d addresses have it as root, size %d", root, len(ids), n, ix.size.u32(root))
		}
		for _, id := range ids {
			if r, _ := ix.rootOf(id); r != root {
				t.Fatalf("cluster %d's ring holds address %d of cluster %d", root, id, r)
			}
		}
		if n > 1 {
			merged++
		}
	}
	if merged == 0 {
		t.Fatal("no cluster of two or more: nothing to check")
	}
}

func TestClusterRings(t *testing.T) {
	blocks := chainBlocks(t, filepath.Join(simChain(t, 5_000), "blocks", "blk00000.dat"))
	ix := openIndex(t, t.TempDir(), func(c *Config) { c.CommitEvery = 4 })
	defer ix.Close()
	for _, b := range blocks {
		addRaw(t, ix, b)
	}
	checkRings(t, ix)
	ids, err := ix.ClusterMembers(0, 1)
	if err != nil || len(ids) != 1 {
		t.Fatalf("a cut listing: %v, %v", ids, err)
	}
	if err := ix.Rewind(uint32(len(blocks) / 2)); err != nil {
		t.Fatal(err)
	}
	checkRings(t, ix)
}
