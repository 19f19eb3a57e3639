package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// env is everything a command may touch outside its arguments; tests and
// main fill it the same way.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
	now            func() time.Time
}

// command is one subcommand. flags builds its flag set and returns the
// function that runs it once the flags are parsed and completed from the
// environment and config file.
type command struct {
	name  string // "serve", "org add"
	args  string // positional arguments in the usage line
	about string
	flags func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "", "run the node: TAXII 2.1 over HTTPS", serveFlags},
		{"org add", "NAME", "add an organization", orgAddFlags},
		{"org list", "", "list organizations", orgListFlags},
		{"user add", "NAME", "add a user and print their first token", userAddFlags},
		{"user list", "", "list users", userListFlags},
		{"token add", "USER", "make a new token for a user and print it", tokenAddFlags},
		{"token revoke", "TOKEN_ID", "revoke a token", tokenRevokeFlags},
		{"token list", "USER", "list a user's tokens", tokenListFlags},
		{"collection add", "", "add a collection and print its id", collectionAddFlags},
		{"collection list", "", "list collections", collectionListFlags},
		{"sim generate", "", "generate a synthetic Bitcoin economy with ground truth", simGenerateFlags},
		{"sim score", "", "score the chain index's clustering and tracing against a synthetic economy's truth", simScoreFlags},
		{"chain ingest", "", "index Bitcoin Core block files into DIR/chain, clustering addresses", chainIngestFlags},
		{"chain stats", "", "print the chain index's counts", chainStatsFlags},
		{"chain address", "ADDR", "print an address's outputs, balance and cluster", chainAddressFlags},
		{"chain cluster", "ADDR", "print the addresses clustered with an address", chainClusterFlags},
		{"chain tag import", "PATH...", "import address tags from GraphSense TagPacks or OFAC SDN lists", chainTagImportFlags},
		{"chain tag add", "ADDR", "tag an address with a category, actor and source", chainTagAddFlags},
		{"chain tag list", "", "list address tags", chainTagListFlags},
		{"chain trace", "", "follow funds forward or backward from an address, txid or txid:n", chainTraceFlags},
		{"chain decode", "FILE", "print an evidence block or transaction (raw or hex): txids, inputs, outputs and addresses", chainDecodeFlags},
		{"chain exposure", "ADDR", "sum by category what an address or its cluster sent to and received from attributed entities", chainExposureFlags},
	}
}

// Run runs the entente command line args (without the program name).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, lookupEnv: os.LookupEnv, now: time.Now}
	return e.run(ctx, args)
}

func (e *env) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		e.usage(e.stderr)
		return usagef("no command given")
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return e.help(args[1:])
	}
	cmd, rest, err := findCommand(args)
	if err != nil {
		return err
	}
	fs, run := newFlagSet(cmd)
	pos, err := parseArgs(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		printCommandUsage(e.stdout, cmd, fs)
		return nil
	}
	if err != nil {
		return usagef("%s: %v (see 'entente help %s')", cmd.name, err, cmd.name)
	}
	if err := e.complete(fs); err != nil {
		return err
	}
	return run(ctx, e, pos)
}

func findCommand(args []string) (command, []string, error) {
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && slices.Equal(args[:len(words)], words) {
			return c, args[len(words):], nil
		}
	}
	// No command matched: name the longest run of leading words that some
	// command starts with ("chain tag") and the words that may follow it.
	for n := len(args); n > 0; n-- {
		var next []string
		for _, c := range commands() {
			words := strings.Fields(c.name)
			if len(words) > n && slices.Equal(words[:n], args[:n]) && !slices.Contains(next, words[n]) {
				next = append(next, words[n])
			}
		}
		if len(next) == 0 {
			continue
		}
		prefix := strings.Join(args[:n], " ")
		if len(args) == n {
			return command{}, nil, usagef("%s: missing subcommand: want one of %s", prefix, strings.Join(next, ", "))
		}
		return command{}, nil, usagef("%s: unknown subcommand %q: want one of %s", prefix, args[n], strings.Join(next, ", "))
	}
	return command{}, nil, usagef("unknown command %q (see 'entente help')", args[0])
}

func newFlagSet(c command) (*flag.FlagSet, func(context.Context, *env, []string) error) {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned and printed once, by main
	run := c.flags(fs)
	return fs, run
}

// parseArgs parses flags wherever they are among the positional arguments,
// so that "entente user add alice --org x" works like "--org x alice".
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func (e *env) usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: entente COMMAND [flags] [arguments]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-18s %s\n", c.name, c.about)
	}
	fmt.Fprintln(w, "\nRun 'entente help COMMAND' for a command's flags and 'entente help config'")
	fmt.Fprintln(w, "for how every flag can also come from the environment or a config file.")
}

func (e *env) help(args []string) error {
	if len(args) == 0 {
		e.usage(e.stdout)
		return nil
	}
	if args[0] == "config" {
		printConfigHelp(e.stdout)
		return nil
	}
	cmd, rest, err := findCommand(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("help: unexpected %q", strings.Join(rest, " "))
	}
	fs, _ := newFlagSet(cmd)
	printCommandUsage(e.stdout, cmd, fs)
	return nil
}

func printCommandUsage(w io.Writer, c command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s\n\n%s.\n\nFlags:\n", strings.TrimSpace("entente "+c.name+" [flags] "+c.args), capitalize(c.about))
	fs.VisitAll(func(f *flag.Flag) {
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "  --%s\n      %s%s\n", f.Name, f.Usage, def)
	})
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// exactArgs checks the number of positional arguments.
func exactArgs(cmd string, args []string, names ...string) error {
	if len(args) == len(names) {
		return nil
	}
	if len(args) < len(names) {
		return usagef("%s: missing %s", cmd, strings.Join(names[len(args):], " and "))
	}
	return usagef("%s: unexpected argument %q", cmd, args[len(names)])
}
