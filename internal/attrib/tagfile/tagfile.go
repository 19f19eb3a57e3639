// Package tagfile keeps a node's attribution tags on disk: an append-only
// file of JSON lines, loaded into memory when opened.
//
// It is storage for package attrib, not a query engine: lookups are by
// address only, and every tag is held in memory (about 300 bytes each, so
// a few million tags are fine; the whole GraphSense public collection is
// half a million). Tags are never changed or deleted in place; a
// correction is a new tag.
//
// # Format
//
// The file (by convention the node's DIR/chain/tags.jsonl) is UTF-8 text,
// one JSON object per line, each line ending in "\n". The first line is
// the header
//
//	{"format":"entente-tags","version":1}
//
// and every other line one [attrib.Tag] in its JSON encoding, for example
//
//	{"address":"123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX","currency":"BTC","label":"sanctioned by OFAC","category":"sanctioned","source":"OFAC SDN list","confidence":100,"created":"2026-11-22T21:00:00Z"}
//
// # Durability
//
// [File.Append] writes a batch with one write, then fsyncs the file (and
// the directory when it created the file) before it returns: a batch it
// reported is on disk. A crash mid-write leaves a last line without its
// "\n"; that torn line is ignored by readers and cut off by the next
// writer. A complete line that does not parse is corruption, reported with
// its line number. Writers in several processes take an exclusive flock
// for each append and first read what others appended, so duplicates are
// still recognised.
package tagfile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/entente/entente/internal/attrib"
)

// header is the first line of every tag file.
const header = `{"format":"entente-tags","version":1}`

// maxLine bounds one line: a tag at its field bounds, with JSON escapes.
const maxLine = 64 << 10

// ErrCorrupt: the file is not a tag file, or a complete line is not a tag.
var ErrCorrupt = errors.New("tagfile: corrupt tag file")

// Config configures [Open].
type Config struct {
	// Path is the tag file. Required. A missing file is an empty one,
	// created by the first Append.
	Path string
	// ReadOnly opens for lookups: Append fails, and a torn last line is
	// left for a writer to cut.
	ReadOnly bool
	// Now dates tags appended without a Created time. Optional; default
	// time.Now.
	Now func() time.Time
	// Logger reports repairs. Optional; default discards.
	Logger *slog.Logger
}

// File is an open tag file. Its methods are not safe for concurrent use.
type File struct {
	cfg    Config
	f      *os.File // nil until the file exists (and always when read-only)
	size   int64    // bytes of complete lines loaded
	line   int      // lines loaded
	byAddr map[string][]attrib.Tag
	order  []string // addresses in first-tagged order
	n      int
	intern map[string]string
}

// Open loads the tag file at cfg.Path.
func Open(ctx context.Context, cfg Config) (*File, error) {
	if cfg.Path == "" {
		return nil, errors.New("tagfile: Config.Path is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	tf := &File{cfg: cfg, byAddr: map[string][]attrib.Tag{}, intern: map[string]string{}}
	if cfg.ReadOnly {
		f, err := os.Open(cfg.Path)
		if errors.Is(err, os.ErrNotExist) {
			return tf, nil
		}
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := tf.load(ctx, f); err != nil {
			return nil, err
		}
		return tf, nil
	}
	f, err := os.OpenFile(cfg.Path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return tf, nil
	}
	if err != nil {
		return nil, err
	}
	tf.f = f
	if err := tf.lock(); err != nil {
		f.Close()
		return nil, err
	}
	defer tf.unlock()
	if err := tf.catchUp(ctx); err != nil {
		f.Close()
		return nil, err
	}
	return tf, nil
}

// Close releases the file.
func (tf *File) Close() error {
	if tf.f == nil {
		return nil
	}
	err := tf.f.Close()
	tf.f = nil
	return err
}

// Len returns the number of tags.
func (tf *File) Len() int { return tf.n }

// Tags returns the tags of an address, oldest first. The slice must not
// be changed.
func (tf *File) Tags(addr string) []attrib.Tag { return tf.byAddr[addr] }

// Addresses yields every tagged address once, in the order first tagged.
func (tf *File) Addresses() iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, a := range tf.order {
			if !yield(a) {
				return
			}
		}
	}
}

// All yields every tag, grouped by address in the order first tagged.
func (tf *File) All() iter.Seq[attrib.Tag] {
	return func(yield func(attrib.Tag) bool) {
		for _, a := range tf.order {
			for _, t := range tf.byAddr[a] {
				if !yield(t) {
					return
				}
			}
		}
	}
}

// Has reports whether a tag saying the same as t (see [attrib.Tag.Key])
// is in the file.
func (tf *File) Has(t attrib.Tag) bool {
	// An address has few tags; a scan saves a key per tag in memory.
	for _, o := range tf.byAddr[t.Address] {
		if o.Currency == t.Currency && o.Category == t.Category && o.Original == t.Original &&
			o.Label == t.Label && o.Actor == t.Actor && o.Source == t.Source {
			return true
		}
	}
	return false
}

// Append validates tags and writes those not already in the file,
// durably. It returns how many it wrote; the others were duplicates. A
// tag without a Created time is dated Config.Now. An invalid tag fails the
// whole batch before anything is written.
func (tf *File) Append(ctx context.Context, tags []attrib.Tag) (added int, err error) {
	if tf.cfg.ReadOnly {
		return 0, errors.New("tagfile: opened read-only")
	}
	for i, t := range tags {
		if err := t.Validate(); err != nil {
			return 0, fmt.Errorf("tag %d (%.140s): %w", i+1, t.Address, err)
		}
	}
	created := false
	if tf.f == nil {
		f, err := os.OpenFile(tf.cfg.Path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return 0, err
		}
		tf.f, created = f, true
	}
	if err := tf.lock(); err != nil {
		return 0, err
	}
	defer tf.unlock()
	if err := tf.catchUp(ctx); err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	if tf.size == 0 {
		buf.WriteString(header + "\n")
	}
	now := tf.cfg.Now().UTC()
	var batch []attrib.Tag
	seen := map[string]struct{}{}
	for _, t := range tags {
		k := t.Key()
		if tf.Has(t) {
			continue
		}
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		if t.Created.IsZero() {
			t.Created = now
		}
		b, err := json.Marshal(t)
		if err != nil {
			return 0, err
		}
		buf.Write(append(b, '\n'))
		batch = append(batch, t)
	}
	if len(batch) == 0 {
		return 0, nil
	}
	if _, err := tf.f.WriteAt(buf.Bytes(), tf.size); err != nil {
		return 0, fmt.Errorf("tagfile: %w", err)
	}
	if err := tf.f.Sync(); err != nil {
		return 0, fmt.Errorf("tagfile: %w", err)
	}
	if created {
		if err := syncDir(filepath.Dir(tf.cfg.Path)); err != nil {
			return 0, err
		}
	}
	if tf.size == 0 {
		tf.line++
	}
	tf.size += int64(buf.Len())
	for _, t := range batch {
		tf.line++
		tf.add(t)
	}
	return len(batch), nil
}

func (tf *File) lock() error {
	if err := syscall.Flock(int(tf.f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("tagfile: lock %s: %w", tf.cfg.Path, err)
	}
	return nil
}

func (tf *File) unlock() { syscall.Flock(int(tf.f.Fd()), syscall.LOCK_UN) }

// catchUp loads what was appended since the last load and, holding the
// lock, cuts a torn last line.
func (tf *File) catchUp(ctx context.Context) error {
	st, err := tf.f.Stat()
	if err != nil {
		return err
	}
	if st.Size() == tf.size {
		return nil
	}
	if st.Size() < tf.size {
		return fmt.Errorf("%w: %s shrank from %d to %d bytes", ErrCorrupt, tf.cfg.Path, tf.size, st.Size())
	}
	if err := tf.load(ctx, io.NewSectionReader(tf.f, tf.size, st.Size()-tf.size)); err != nil {
		return err
	}
	if tf.size < st.Size() {
		tf.cfg.Logger.Warn("cutting a torn last line from the tag file", "path", tf.cfg.Path,
			"line", tf.line+1, "bytes", st.Size()-tf.size)
		if err := tf.f.Truncate(tf.size); err != nil {
			return err
		}
		return tf.f.Sync()
	}
	return nil
}

// load reads complete lines from r, which starts at tf.size.
func (tf *File) load(ctx context.Context, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		if tf.line%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		b, err := readLine(br)
		if err == io.EOF {
			return nil // a torn line (no "\n") is not loaded
		}
		if err != nil {
			return fmt.Errorf("%s: line %d: %w", tf.cfg.Path, tf.line+1, err)
		}
		line := b[:len(b)-1]
		if tf.line == 0 {
			if string(line) != header {
				return fmt.Errorf("%w: %s: line 1 is not %s", ErrCorrupt, tf.cfg.Path, header)
			}
		} else {
			t, err := decode(line)
			if err != nil {
				return fmt.Errorf("%w: %s: line %d: %v", ErrCorrupt, tf.cfg.Path, tf.line+1, err)
			}
			tf.add(t)
		}
		tf.line++
		tf.size += int64(len(b))
	}
}

// readLine returns the next line with its "\n", io.EOF if there is no
// complete line, and an error for a line longer than maxLine.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(line)+len(frag) > maxLine {
			return nil, fmt.Errorf("%w: line longer than %d bytes", ErrCorrupt, maxLine)
		}
		line = append(line, frag...)
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			return nil, io.EOF
		default:
			return nil, err
		}
	}
}

func decode(line []byte) (attrib.Tag, error) {
	var t attrib.Tag
	if err := json.Unmarshal(line, &t); err != nil {
		return t, err
	}
	if !t.Category.Valid() {
		// Written by a newer vocabulary: keep the word, as parsers do.
		t.Category, t.Original = attrib.Other, string(t.Category)
	}
	return t, t.Validate()
}

// add indexes a tag, sharing the strings many tags repeat.
func (tf *File) add(t attrib.Tag) {
	if tf.Has(t) {
		return // a hand edit, or a copy of lines from another file
	}
	t.Currency, t.Label, t.Actor = tf.str(t.Currency), tf.str(t.Label), tf.str(t.Actor)
	t.Source, t.Original = tf.str(t.Source), tf.str(t.Original)
	if _, ok := tf.byAddr[t.Address]; !ok {
		tf.order = append(tf.order, t.Address)
	}
	tf.byAddr[t.Address] = append(tf.byAddr[t.Address], t)
	tf.n++
}

func (tf *File) str(s string) string {
	if v, ok := tf.intern[s]; ok {
		return v
	}
	tf.intern[s] = s
	return s
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
