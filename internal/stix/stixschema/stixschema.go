// Package stixschema checks STIX 2.1 objects against the OASIS STIX 2.1
// JSON schemas (draft 2020-12), for tests: package stix's own, and those of
// packages that serve STIX objects and want to show they serve valid ones.
//
// It is not the node's validator (stix.Parse is: the schemas are
// non-normative and too slow for the ingest path), and it never touches the
// network: every schema is loaded from a local copy of the schemas folder
// and registered under its canonical $id URL.
package stixschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// BaseURL is the $id base of the OASIS schemas.
const BaseURL = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"

// Validator holds the compiled schemas.
type Validator struct {
	byType map[string]*jsonschema.Schema
	sdo    *jsonschema.Schema // core, for custom SDOs and SROs
	sco    *jsonschema.Schema // cyber-observable-core, for custom SCOs
}

// New compiles the schemas under dir, the schemas folder of
// cti-stix2-json-schemas (with common/, sdos/, sros/, observables/), e.g.
// internal/stix/testdata/stix2-json-schemas/schemas.
func New(dir string) (*Validator, error) {
	c := jsonschema.NewCompiler()
	byType := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		url := BaseURL + filepath.ToSlash(rel)
		if err := c.AddResource(url, doc); err != nil {
			return err
		}
		folder, file := filepath.Split(filepath.ToSlash(rel))
		typ := strings.TrimSuffix(file, ".json")
		switch folder {
		case "sdos/", "sros/", "observables/":
			byType[typ] = url
		case "common/":
			switch typ {
			case "marking-definition", "extension-definition", "language-content":
				byType[typ] = url
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(byType) == 0 {
		return nil, fmt.Errorf("no STIX schemas under %s", dir)
	}
	v := &Validator{byType: map[string]*jsonschema.Schema{}}
	for typ, url := range byType {
		if v.byType[typ], err = c.Compile(url); err != nil {
			return nil, err
		}
	}
	if v.sdo, err = c.Compile(BaseURL + "common/core.json"); err != nil {
		return nil, err
	}
	if v.sco, err = c.Compile(BaseURL + "common/cyber-observable-core.json"); err != nil {
		return nil, err
	}
	return v, nil
}

// Validate checks one STIX object against the schema of its type. A type
// without a schema is a custom object: it is checked against core when it
// has created (an SDO or SRO) and cyber-observable-core otherwise.
func (v *Validator) Validate(raw []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	var head struct {
		Type    string          `json:"type"`
		Created json.RawMessage `json:"created"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return err
	}
	s, ok := v.byType[head.Type]
	switch {
	case ok:
	case head.Created != nil:
		s = v.sdo
	default:
		s = v.sco
	}
	return s.Validate(inst)
}
