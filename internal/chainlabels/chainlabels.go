// Package chainlabels resolves a node's address tags to the address ids of
// its chain index, for traces and exposure to stop at, and keeps the
// resolution between runs.
//
// Resolving means a look-up in the index per tag: tens of seconds for
// millions of tags on a large index, where the trace itself takes
// milliseconds. So the resolution goes to DIR/chain/labels-CATEGORIES.res
// (format in tagfile.WriteResolution), keyed by the tag file's inode, size
// and modification time and the categories, and anchored at the index's
// tip block. While the tag file is unchanged and the index still holds
// that block (address ids are dense and given in chain order, so they
// stand until a reorganisation undoes it), the file is used: only the
// addresses the index lacked are looked up again, when the index has grown,
// and the tag file is not read.
package chainlabels

import (
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/entente/entente/internal/attrib"
	"github.com/entente/entente/internal/attrib/tagfile"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/trace"
)

// Tags gives the tag file when the resolution must be made from it, and
// what to call when done with it.
type Tags func() (tf *tagfile.File, done func(), err error)

// Resolve returns the strongest tag (attrib.Strongest) in the categories
// want of every tagged address the index ix (in chainDir) has, by address
// id. tagPath is the tag file. A kept resolution that cannot be read is
// reported to warn and made again; one that cannot be written is not an
// error (a node directory the caller cannot write still works).
func Resolve(ix *chainindex.Index, chainDir, tagPath string, want map[attrib.Category]bool, tags Tags, warn func(error)) (trace.Labels, error) {
	names := make([]string, 0, len(want))
	for _, c := range slices.Sorted(maps.Keys(want)) {
		names = append(names, string(c))
	}
	path := filepath.Join(chainDir, "labels-"+strings.Join(names, ",")+".res")
	key, stamped := fileKey(tagPath, names)
	st, err := ix.Stats()
	if err != nil {
		return nil, err
	}
	var res *tagfile.Resolution
	changed := true // res differs from the file, or its anchor does
	if stamped {
		r, anchor, ok, err := tagfile.ReadResolution(path, key)
		if err != nil && warn != nil {
			warn(fmt.Errorf("%v; resolving the tags again", err))
		}
		if ok && anchorHolds(ix, anchor) {
			res, changed = r, st.Addresses > anchorAddresses(anchor)
			if changed && len(r.Missing) > 0 {
				r.Recheck(ix.LookupAddress)
			}
		}
	}
	if res == nil {
		tf, done, err := tags()
		if err != nil {
			return nil, err
		}
		res = tagfile.Resolve(tf.All(), want, ix.LookupAddress)
		done()
	}
	if a := anchorOf(ix, st.Addresses); stamped && changed && a != nil {
		_ = tagfile.WriteResolution(path, key, a, res)
	}
	l := make(trace.Labels, len(res.IDs))
	for id, x := range res.All() {
		l[id] = trace.Label{Entity: x.Entity, Category: x.Category}
	}
	return l, nil
}

// fileKey names the tag file's state (inode, size, modification time)
// and the categories; false when the tag file cannot be stated (then
// nothing is kept).
func fileKey(path string, categories []string) ([]byte, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, false
	}
	return fmt.Appendf(nil, "%d %d %d %s", st.Ino, fi.Size(), fi.ModTime().UnixNano(), strings.Join(categories, ",")), true
}

// An anchor is the index state ids were resolved at: height uint32 |
// block hash [32] | addresses uint64.
func anchorOf(ix *chainindex.Index, addresses uint64) []byte {
	_, blocks := ix.Tip()
	if blocks == 0 {
		return nil
	}
	h := ix.BlockHash(blocks - 1)
	b := binary.LittleEndian.AppendUint32(nil, blocks-1)
	b = append(b, h[:]...)
	return binary.LittleEndian.AppendUint64(b, addresses)
}

func anchorHolds(ix *chainindex.Index, a []byte) bool {
	if len(a) != 4+32+8 {
		return false
	}
	height := binary.LittleEndian.Uint32(a)
	_, blocks := ix.Tip()
	if height >= blocks {
		return false
	}
	h := ix.BlockHash(height)
	return string(h[:]) == string(a[4:36])
}

func anchorAddresses(a []byte) uint64 { return binary.LittleEndian.Uint64(a[36:]) }
