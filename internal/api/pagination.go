package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/accord-dev/accord/internal/locale"
)

// One pagination for every list (Google AIP-158): a list answer holds at
// most page_size items (default defaultPageSize, at most maxPageSize) in a
// stable order, and next_page_token when more follow; the client asks again
// with page_token set to it and the same filters. A token is opaque to
// clients. An unknown query parameter is 400 naming it: a misspelt filter
// must not silently list everything.

const (
	// defaultPageSize is the page size when page_size is not given.
	defaultPageSize = 100
	// maxPageSize bounds page_size.
	maxPageSize = 1000
)

// page is a parsed page request: at most size items after the item whose
// key is after ("" for the first page).
type page struct {
	size  int
	after string
}

// tokenPrefix versions the page token's encoding.
const tokenPrefix = "p1:"

// parseQuery checks r's query parameters against the filters the endpoint
// knows (page_size and page_token are known to every list when list is
// true) and returns the page asked for.
func parseQuery(r *http.Request, list bool, filters ...string) (page, *Problem) {
	known := slices.Clone(filters)
	if list {
		known = append(known, "page_size", "page_token")
	}
	q := r.URL.Query()
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !slices.Contains(known, name) {
			msg := locale.Errorf("unknown query parameter; this endpoint takes none")
			if len(known) > 0 {
				msg = locale.Errorf("unknown query parameter (known: %s)", strings.Join(known, ", "))
			}
			return page{}, fieldProblem(http.StatusBadRequest, name, msg)
		}
		if len(q[name]) > 1 {
			return page{}, fieldProblem(http.StatusBadRequest, name, locale.Errorf("given more than once"))
		}
	}
	p := page{size: defaultPageSize}
	if !list {
		return p, nil
	}
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return page{}, fieldProblem(http.StatusBadRequest, "page_size", locale.Errorf("an integer from 1 to %s", strconv.Itoa(maxPageSize)))
		}
		p.size = n
	}
	if v := q.Get("page_token"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || !strings.HasPrefix(string(raw), tokenPrefix) || len(raw) == len(tokenPrefix) {
			return page{}, fieldProblem(http.StatusBadRequest, "page_token", locale.Errorf("not a token this server gave (next_page_token of the previous page)"))
		}
		p.after = strings.TrimPrefix(string(raw), tokenPrefix)
	}
	return p, nil
}

// pageToken is the token of the page after the item whose key is key.
func pageToken(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + key))
}

// paginate returns the page p of items, which are in ascending order of
// key, and the token of the next page ("" when this is the last).
func paginate[T any](items []T, key func(T) string, p page) ([]T, string) {
	start := 0
	if p.after != "" {
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > p.after })
	}
	end := min(start+p.size, len(items))
	out := items[start:end]
	if out == nil {
		out = []T{}
	}
	next := ""
	if end < len(items) {
		next = pageToken(key(items[end-1]))
	}
	return out, next
}

// indexKey is the key of a log index, in an order strings compare in.
func indexKey(i uint64) string { return fmt.Sprintf("%020d", i) }
