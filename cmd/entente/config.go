package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Configuration lives in one place: every flag of every command can also
// be set from the environment as ENTENTE_<NAME> (upper case, '-' as '_')
// and from a config file of "name = value" lines, with the precedence
// flag > environment > file > default.

const (
	maxConfigBytes = 1 << 20
	maxConfigLine  = 64 << 10
)

// envName is the environment variable for a flag.
func envName(flagName string) string {
	return "ENTENTE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// complete sets the flags not given on the command line from the
// environment, then from the config file.
func (e *env) complete(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	path, ok := "", false
	if f := fs.Lookup("config"); f != nil {
		if given["config"] {
			path, ok = f.Value.String(), true
		} else {
			path, ok = e.lookupEnv(envName("config"))
		}
	}
	var file map[string]configValue
	if ok && path != "" {
		var err error
		if file, err = readConfigFile(path); err != nil {
			return err
		}
	}

	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || f.Name == "config" {
			return
		}
		if v, ok := e.lookupEnv(envName(f.Name)); ok && v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %v", envName(f.Name), v, err))
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			if err := fs.Set(f.Name, v.value); err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: %s = %q: %v", path, v.line, f.Name, v.value, err))
			}
		}
	})
	return errors.Join(errs...)
}

type configValue struct {
	value string
	line  int
}

// readConfigFile reads "name = value" lines; blank lines and lines whose
// first non-blank character is '#' are ignored; a value may be written as
// a Go double-quoted string. Names must be flags of some command, so that
// a typo is an error rather than a setting silently ignored.
func readConfigFile(path string) (map[string]configValue, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	return parseConfig(path, io.LimitReader(f, maxConfigBytes+1))
}

func parseConfig(path string, r io.Reader) (map[string]configValue, error) {
	known := knownFlags()
	out := map[string]configValue{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxConfigLine)
	total := 0
	for n := 1; sc.Scan(); n++ {
		total += len(sc.Bytes()) + 1
		if total > maxConfigBytes {
			return nil, fmt.Errorf("%s: config file larger than %d bytes", path, maxConfigBytes)
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want 'name = value'", path, n)
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !slices.Contains(known, name) {
			return nil, fmt.Errorf("%s:%d: unknown setting %q (see 'entente help config')", path, n, name)
		}
		if name == "config" {
			return nil, fmt.Errorf("%s:%d: a config file cannot name another config file", path, n)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%s:%d: %s is set twice", path, n, name)
		}
		if strings.HasPrefix(value, `"`) {
			uq, err := strconv.Unquote(value)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: bad quoted value: %v", path, n, err)
			}
			value = uq
		}
		out[name] = configValue{value: value, line: n}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s: a line is longer than %d bytes", path, maxConfigLine)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// knownFlags is every flag name of every command, sorted.
func knownFlags() []string {
	var names []string
	for _, c := range commands() {
		fs, _ := newFlagSet(c)
		fs.VisitAll(func(f *flag.Flag) {
			if !slices.Contains(names, f.Name) {
				names = append(names, f.Name)
			}
		})
	}
	slices.Sort(names)
	return names
}

// printConfigHelp prints the table of every setting, for operators and
// for the README.
func printConfigHelp(w io.Writer) {
	type row struct {
		usage, def string
		cmds       []string
	}
	rows := map[string]*row{}
	for _, c := range commands() {
		fs, _ := newFlagSet(c)
		fs.VisitAll(func(f *flag.Flag) {
			r := rows[f.Name]
			if r == nil {
				r = &row{usage: f.Usage, def: f.DefValue}
				rows[f.Name] = r
			}
			r.cmds = append(r.cmds, c.name)
		})
	}
	fmt.Fprint(w, `Every flag can be given three more ways. Precedence: flag > environment > config file > default.

  --NAME VALUE               on the command line
  ENTENTE_NAME=VALUE         in the environment (upper case, '-' becomes '_');
                             an empty value counts as unset
  NAME = VALUE               in the config file named by --config or ENTENTE_CONFIG:
                             one setting a line, '#' starts a comment line, a value
                             may be a Go double-quoted string. Unknown names are errors;
                             names another command uses are ignored.

Durations take Go syntax (90m, 72h) or days (30d); sizes take bytes or KiB/MiB/GiB.

`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FLAG\tENVIRONMENT\tDEFAULT\tCOMMANDS\tMEANING")
	for _, name := range knownFlags() {
		r := rows[name]
		def := r.def
		if def == "" {
			def = "-"
		}
		cmds := strings.Join(r.cmds, ", ")
		// "all" means every command that works on a node's data (those
		// taking --data); offline tools such as sim generate take neither.
		switch all := len(rows["data"].cmds); {
		case len(r.cmds) == all && slices.Equal(r.cmds, rows["data"].cmds):
			cmds = "all node commands"
		case len(r.cmds) == all-1 && !slices.Contains(r.cmds, "serve"):
			cmds = "all node commands but serve"
		}
		fmt.Fprintf(tw, "--%s\t%s\t%s\t%s\t%s\n", name, envName(name), def, cmds, r.usage)
	}
	tw.Flush()
}

// listFlag is a comma-separated list of names.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = nil
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// durationFlag is a time.Duration that also takes days ("30d").
type durationFlag time.Duration

func (d *durationFlag) String() string {
	if *d == 0 {
		return "0"
	}
	return time.Duration(*d).String()
}

func (d *durationFlag) Set(s string) error {
	var v time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return fmt.Errorf("bad duration %q", s)
		}
		v = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if v, err = time.ParseDuration(s); err != nil {
			return fmt.Errorf("bad duration %q: want e.g. 12h or 30d", s)
		}
	}
	if v < 0 {
		return fmt.Errorf("negative duration %q", s)
	}
	*d = durationFlag(v)
	return nil
}

// sizeFlag is a byte count with an optional KiB, MiB or GiB suffix.
type sizeFlag int64

func (z *sizeFlag) String() string { return strconv.FormatInt(int64(*z), 10) }

func (z *sizeFlag) Set(s string) error {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(v), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return fmt.Errorf("bad size %q: want a positive number of bytes, or with KiB, MiB or GiB", s)
	}
	*z = sizeFlag(n * mult)
	return nil
}
