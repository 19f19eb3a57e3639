package attrib

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// FuzzParseTagPack checks that hostile YAML gives an error or valid tags,
// and that tags written back as a TagPack parse to the same tags.
func FuzzParseTagPack(f *testing.F) {
	files, _ := filepath.Glob("testdata/tagpack/*.yaml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("currency: BTC\nabuse: &a ransomware\ntags:\n- &t {address: a1, label: *a}\n- *t\n"))
	f.Add([]byte("tags: [{address: x, currency: btc, confidence: '7', lastmod: 2020-01-02T03:04:05Z}]"))
	f.Fuzz(func(t *testing.T, in []byte) {
		tags, err := ParseTagPack(bytes.NewReader(in), Limits{MaxBytes: 1 << 16, MaxTags: 1000})
		if err != nil {
			return
		}
		for _, tag := range tags {
			if err := tag.Validate(); err != nil || tag.Currency != "BTC" {
				t.Fatalf("tag %+v: %v", tag, err)
			}
		}
		again, err := ParseTagPack(bytes.NewReader(marshalTagPack(t, tags)), Limits{})
		if err != nil {
			t.Fatalf("written back: %v", err)
		}
		if len(again) != len(tags) {
			t.Fatalf("written back: %d tags, want %d", len(again), len(tags))
		}
		for i := range tags {
			if !again[i].Created.Equal(tags[i].Created) {
				t.Fatalf("tag %d created %v, want %v", i, again[i].Created, tags[i].Created)
			}
			again[i].Created = tags[i].Created
			if again[i] != tags[i] {
				t.Fatalf("tag %d written back\n got %+v\nwant %+v", i, again[i], tags[i])
			}
		}
	})
}

// marshalTagPack writes tags as a TagPack with every field on the tag.
func marshalTagPack(t *testing.T, tags []Tag) []byte {
	type entry struct {
		Address    string `yaml:"address"`
		Currency   string `yaml:"currency"`
		Label      string `yaml:"label,omitempty"`
		Category   string `yaml:"category"`
		Actor      string `yaml:"actor,omitempty"`
		Source     string `yaml:"source,omitempty"`
		Confidence string `yaml:"confidence"`
		Lastmod    string `yaml:"lastmod,omitempty"`
	}
	pack := struct {
		Tags []entry `yaml:"tags"`
	}{Tags: []entry{}}
	for _, tag := range tags {
		e := entry{Address: tag.Address, Currency: tag.Currency, Label: tag.Label, Category: string(tag.Category),
			Actor: tag.Actor, Source: tag.Source, Confidence: strconv.Itoa(tag.Confidence)}
		if tag.Original != "" {
			e.Category = tag.Original
		}
		if !tag.Created.IsZero() {
			e.Lastmod = tag.Created.Format(time.RFC3339Nano)
		}
		pack.Tags = append(pack.Tags, e)
	}
	b, err := yaml.Marshal(pack)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzParseOFAC checks that a list gives an error or valid tags, and that
// their addresses written one per line parse to the same tags.
func FuzzParseOFAC(f *testing.F) {
	b, err := os.ReadFile("testdata/ofac/sanctioned_addresses_XBT.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[:2000])
	f.Add([]byte("# c\n\r\n 1abc \n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		tags, err := ParseOFAC(bytes.NewReader(in), "XBT")
		if err != nil {
			return
		}
		var lines []string
		for _, tag := range tags {
			if err := tag.Validate(); err != nil || tag.Category != Sanctioned || tag.Currency != "BTC" {
				t.Fatalf("tag %+v: %v", tag, err)
			}
			lines = append(lines, tag.Address)
		}
		again, err := ParseOFAC(strings.NewReader(strings.Join(lines, "\n")), "BTC")
		if err != nil || len(again) != len(tags) {
			t.Fatalf("written back: %d tags, %v", len(again), err)
		}
		for i := range tags {
			if again[i] != tags[i] {
				t.Fatalf("tag %d: got %+v, want %+v", i, again[i], tags[i])
			}
		}
	})
}
