package main

import (
	"database/sql"
	"regexp"
	"strconv"
	"testing"

	"github.com/entente/entente/internal/btcrpc/fakenode"

	"github.com/rogpeppe/go-internal/testscript"
	_ "modernc.org/sqlite"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"entente": main})
}

// TestScripts runs the command-line scenarios in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Values[rpcNodeKey{}] = &rpcNodeHolder{}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"capture":        capture,
			"schema-version": schemaVersion,
			"rpcnode":        rpcNode,
		},
	})
}

// capture stdout|stderr NAME REGEXP sets $NAME to the first submatch of
// REGEXP in the last command's output, e.g. a token id to revoke.
func capture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: capture stdout|stderr NAME REGEXP")
	}
	re, err := regexp.Compile(args[2])
	ts.Check(err)
	m := re.FindStringSubmatch(ts.ReadFile(args[0]))
	if len(m) < 2 {
		ts.Fatalf("capture: %q does not match %s", args[2], args[0])
	}
	ts.Setenv(args[1], m[1])
}

// schema-version DB N sets a SQLite store's schema version, as a newer
// entente would have left it.
func schemaVersion(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: schema-version DB N")
	}
	db, err := sql.Open("sqlite", ts.MkAbs(args[0]))
	ts.Check(err)
	defer db.Close()
	_, err = db.Exec("PRAGMA user_version = " + args[1])
	ts.Check(err)
}

// rpcnode BLKFILE N|all serves the first N blocks of a block file over
// JSON-RPC, as Bitcoin Core would (user "u", password "p"), and sets
// $RPC_URL; run again, it changes the served chain. The node stops with
// the script.
func rpcNode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: rpcnode BLKFILE N|all")
	}
	n := 1 << 30
	if args[1] != "all" {
		var err error
		n, err = strconv.Atoi(args[1])
		ts.Check(err)
	}
	blocks, err := fakenode.ReadBlocks(ts.MkAbs(args[0]))
	ts.Check(err)
	if len(blocks) < n && args[1] != "all" {
		ts.Fatalf("rpcnode: %s holds only %d blocks", args[0], len(blocks))
	}
	blocks = blocks[:min(n, len(blocks))]
	holder := ts.Value(rpcNodeKey{}).(*rpcNodeHolder)
	if holder.node != nil {
		ts.Check(holder.node.SetBlocks(blocks))
		return
	}
	node, err := fakenode.Start("main", "u", "p", blocks)
	ts.Check(err)
	ts.Defer(node.Close)
	ts.Setenv("RPC_URL", node.URL)
	holder.node = node
}

type rpcNodeKey struct{}

type rpcNodeHolder struct{ node *fakenode.Node }
