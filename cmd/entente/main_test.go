package main

import (
	"database/sql"
	"regexp"
	"testing"

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
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"capture":        capture,
			"schema-version": schemaVersion,
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
