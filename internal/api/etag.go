package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/locale"
)

// Conditional requests (RFC 9110, section 13).
//
// Every mutable resource has an ETag: a dataset and a registry override
// the version the store stamped on their last write ("<base-36 unix
// nanoseconds of Updated>"), an MLA case its version ("v<version>"). GETs
// of them answer 304 to an If-None-Match that names the current ETag (or
// "*"). Writes that replace or delete a dataset or an override need
// If-Match (428 without it; 412 when it names no current ETag; "*" asks
// only that the resource exist); a PUT that creates an override sends
// If-None-Match: * instead (412 if it exists). MLA steps take If-Match
// when the client sends one (412 when stale): the case's state machine
// already refuses a step that no longer applies.

// versionETag is the ETag of a resource stamped at updated.
func versionETag(updated time.Time) string {
	return `"` + strconv.FormatInt(updated.UnixNano(), 36) + `"`
}

// caseETag is the ETag of an MLA case at version v.
func caseETag(v uint64) string { return `"v` + strconv.FormatUint(v, 10) + `"` }

// precondition is what If-Match or If-None-Match asks of a write.
type precondition struct {
	// ifMatch: If-Match was sent; any: it was "*"; tags: the strong
	// entity tags it names (weak ones never match a write).
	ifMatch, any bool
	tags         []string
	// ifNoneMatchAny: If-None-Match: * was sent (create only).
	ifNoneMatchAny bool
}

// parsePrecondition reads If-Match and If-None-Match of a write.
func parsePrecondition(r *http.Request) (precondition, *Problem) {
	var p precondition
	if vals := r.Header.Values("If-Match"); len(vals) > 0 {
		p.ifMatch = true
		tags, any, ok := entityTags(vals)
		if !ok {
			return p, newProblem(http.StatusBadRequest, locale.Errorf(`If-Match: not a list of entity tags ("...", W/"...") or *`))
		}
		p.any = any
		for _, t := range tags {
			if !strings.HasPrefix(t, "W/") {
				p.tags = append(p.tags, t)
			}
		}
	}
	if vals := r.Header.Values("If-None-Match"); len(vals) > 0 {
		_, any, ok := entityTags(vals)
		if !ok || !any {
			return p, newProblem(http.StatusBadRequest, locale.Errorf(`If-None-Match: a write takes only "*" (create if absent)`))
		}
		p.ifNoneMatchAny = true
	}
	if p.ifMatch && p.ifNoneMatchAny {
		return p, newProblem(http.StatusBadRequest, locale.Errorf("If-Match and If-None-Match: send one of them"))
	}
	return p, nil
}

// required answers 428 when neither header was sent.
func (p precondition) required(what error, create bool) *Problem {
	if p.ifMatch || p.ifNoneMatchAny {
		return nil
	}
	if create {
		return newProblem(http.StatusPreconditionRequired, locale.Errorf("If-Match: a write of %v needs the ETag it was read at (GET it: ETag), so that it cannot undo a change made since; to create it, send If-None-Match: *", what))
	}
	return newProblem(http.StatusPreconditionRequired, locale.Errorf("If-Match: a write of %v needs the ETag it was read at (GET it: ETag), so that it cannot undo a change made since", what))
}

// check judges the precondition against the resource as it is (exists,
// with ETag current), answering 412 when it fails.
func (p precondition) check(what error, exists bool, current string) *Problem {
	switch {
	case p.ifNoneMatchAny && exists:
		return newProblem(http.StatusPreconditionFailed, locale.Errorf("If-None-Match: %v exists already", what))
	case p.ifMatch && !exists:
		return newProblem(http.StatusPreconditionFailed, locale.Errorf("If-Match: %v does not exist", what))
	case p.ifMatch && !p.any && !containsString(p.tags, current):
		return preconditionProblem(what)
	}
	return nil
}

// entityTags splits header values into entity tags, reporting "*".
func entityTags(vals []string) (tags []string, any, ok bool) {
	for _, v := range vals {
		for _, part := range strings.Split(v, ",") {
			t := strings.TrimSpace(part)
			switch {
			case t == "":
				continue
			case t == "*":
				any = true
			case validETag(strings.TrimPrefix(t, "W/")):
				tags = append(tags, t)
			default:
				return nil, false, false
			}
		}
	}
	return tags, any, any || len(tags) > 0
}

// validETag reports whether t is a quoted opaque tag.
func validETag(t string) bool {
	if len(t) < 2 || t[0] != '"' || t[len(t)-1] != '"' {
		return false
	}
	for i := 1; i < len(t)-1; i++ {
		if c := t[i]; c == '"' || c < 0x21 || c == 0x7f {
			return false
		}
	}
	return true
}

// notModified sets the ETag of a GET's answer and answers 304 when
// If-None-Match names it (weak comparison) or is "*"; it reports whether it
// did.
func notModified(w http.ResponseWriter, r *http.Request, etag string) bool {
	w.Header().Set("ETag", etag)
	vals := r.Header.Values("If-None-Match")
	if len(vals) == 0 {
		return false
	}
	tags, any, ok := entityTags(vals)
	if !ok {
		return false // a malformed header is ignored, as RFC 9110 allows
	}
	match := any
	for _, t := range tags {
		if strings.TrimPrefix(t, "W/") == etag {
			match = true
		}
	}
	if match {
		w.WriteHeader(http.StatusNotModified)
	}
	return match
}
