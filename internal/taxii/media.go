package taxii

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// checkAccept is TAXII 2.1 content negotiation (section 1.6.8): the client
// must accept application/taxii+json, unversioned or version 2.1, or a
// wildcard covering it. No Accept header at all accepts anything.
func checkAccept(values []string) error {
	if len(values) == 0 {
		return nil
	}
	n := 0
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			if n++; n > 64 {
				return newError(http.StatusNotAcceptable, "Accept header has too many media ranges")
			}
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			mt, params, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err != nil || f <= 0 {
					continue
				}
			}
			switch mt {
			case "*/*", "application/*":
				return nil
			case "application/taxii+json":
				if v, ok := params["version"]; !ok || v == "2.1" {
					return nil
				}
			}
		}
	}
	return newError(http.StatusNotAcceptable, "this server answers only %s; the Accept header does not allow it", MediaType)
}

// checkContentType accepts a TAXII 2.1 envelope or a STIX 2.1 bundle
// (section 5.4: the unversioned TAXII type means the latest, 2.1).
func checkContentType(v string) error {
	mt, params, err := mime.ParseMediaType(v)
	if err == nil {
		ver, versioned := params["version"]
		switch mt {
		case "application/taxii+json":
			if !versioned || ver == "2.1" {
				return nil
			}
		case "application/stix+json":
			if ver == "2.1" {
				return nil
			}
		}
	}
	return newError(http.StatusUnsupportedMediaType,
		"Content-Type %q is not supported: want %s (or a %s bundle)", truncate(v, 100), MediaType, stixMediaType)
}

// truncate bounds client text echoed in an error.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
