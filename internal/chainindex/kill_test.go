package chainindex

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/entente/entente/internal/chain"
)

// TestKill9 kills a real ingesting process with SIGKILL half way, then
// resumes in this one: the index must equal a clean ingest byte for byte.
func TestKill9(t *testing.T) {
	if dir := os.Getenv("CHAININDEX_KILL_CHILD"); dir != "" {
		killChild(t, dir, os.Getenv("CHAININDEX_KILL_BLOCKS"))
		return
	}
	chainDir := simChain(t, 6_000)
	blocksDir := filepath.Join(chainDir, "blocks")
	nblocks := len(chainBlocks(t, filepath.Join(blocksDir, "blk00000.dat")))

	want := straightFiles(t, blocksDir)

	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9$")
	cmd.Env = append(os.Environ(), "CHAININDEX_KILL_CHILD="+dir, "CHAININDEX_KILL_BLOCKS="+blocksDir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	added := 0
	for sc.Scan() && added < nblocks/2 {
		added, _ = strconv.Atoi(sc.Text())
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if added < nblocks/2 {
		t.Fatalf("child stopped after %d blocks", added)
	}

	ix := openIndex(t, dir, nil)
	_, resumed := ix.Tip()
	if resumed == 0 || resumed%4 != 0 || int(resumed) >= nblocks {
		t.Errorf("resumed at %d blocks of %d; the child commits every 4 and was killed after %d", resumed, nblocks, added)
	}
	ingest(t, ix, blocksDir)
	ix.Close()
	got := indexFiles(t, dir)
	for name, w := range want {
		if !bytes.Equal(got[name], w) {
			t.Errorf("%s differs from a clean ingest", name)
		}
	}
}

// killChild adds blocks one by one, committing every 4 and printing the
// count after each, slowly enough to be killed in the middle.
func killChild(t *testing.T, dir, blocksDir string) {
	ix := openIndex(t, dir, func(c *Config) { c.CommitEvery = 4 })
	var blk chain.Block
	for i, b := range chainBlocks(t, filepath.Join(blocksDir, "blk00000.dat")) {
		if err := blk.Parse(b); err != nil {
			t.Fatal(err)
		}
		if err := ix.AddBlock(&blk); err != nil {
			t.Fatal(err)
		}
		fmt.Println(i + 1)
		time.Sleep(5 * time.Millisecond)
	}
	select {} // wait for the kill
}
