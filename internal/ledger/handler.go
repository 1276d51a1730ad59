package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/transparency-dev/tessera/api/layout"
)

// Cache-Control values for the read API, as C2SP tlog-tiles expects: the
// checkpoint changes, full tiles and bundles never do, partial ones are
// replaced by full ones as the log grows.
const (
	cacheCheckpoint = "no-cache"
	cacheFull       = "public, max-age=31536000, immutable"
	cachePartial    = "public, max-age=60"
)

// Handler returns the log's read API (see NewHandler): from its directory,
// or for a log in a database (OpenMySQL) from the database, with the same
// paths, statuses and cache headers.
func (l *Log) Handler() http.Handler {
	if l.db != nil {
		return &sourceHandler{src: l.reader}
	}
	return NewHandler(l.dir)
}

// NewHandler serves the public files of the log in dir over HTTP, read-only,
// at the paths of C2SP tlog-tiles: /checkpoint, /tile/<L>/<N>[.p/<W>] and
// /tile/entries/<N>[.p/<W>]. Any other path, and any method but GET and
// HEAD, is refused; the key and Tessera's private state are never served.
// Mount it under a prefix with http.StripPrefix, e.g.
// mux.Handle("/log/", http.StripPrefix("/log", h)).
func NewHandler(dir string) http.Handler {
	return &handler{dir: dir}
}

type handler struct{ dir string }

// ServeHTTP serves one public file of the log, or 404/405.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		refuse(w, r, http.StatusMethodNotAllowed, "the log is read-only; allowed: GET, HEAD")
		return
	}
	rel, cache, ok := resourcePath(r.URL.Path)
	if !ok {
		refuse(w, r, http.StatusNotFound, "no such log resource; the log serves /checkpoint, /tile/<L>/<N> and /tile/entries/<N> (C2SP tlog-tiles)")
		return
	}
	f, err := os.Open(filepath.Join(h.dir, filepath.FromSlash(rel)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			refuse(w, r, http.StatusNotFound, "the log holds no "+rel+" (yet)")
			return
		}
		refuse(w, r, http.StatusInternalServerError, "cannot read the log")
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		refuse(w, r, http.StatusNotFound, "the log holds no "+rel)
		return
	}
	w.Header().Set("Cache-Control", cache)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if rel == layout.CheckpointPath {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	http.ServeContent(w, r, "", fi.ModTime(), f)
}

// sourceHandler serves the read API from a Source (a log kept in a
// database), as handler does from files.
type sourceHandler struct{ src Source }

// ServeHTTP serves one resource of the log, or 404/405/500.
func (h *sourceHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		refuse(w, r, http.StatusMethodNotAllowed, "the log is read-only; allowed: GET, HEAD")
		return
	}
	rel, cache, ok := resourcePath(r.URL.Path)
	if !ok {
		refuse(w, r, http.StatusNotFound, "no such log resource; the log serves /checkpoint, /tile/<L>/<N> and /tile/entries/<N> (C2SP tlog-tiles)")
		return
	}
	data, err := readResource(r.Context(), h.src, rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			refuse(w, r, http.StatusNotFound, "the log holds no "+rel+" (yet)")
			return
		}
		refuse(w, r, http.StatusInternalServerError, "cannot read the log")
		return
	}
	w.Header().Set("Cache-Control", cache)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if rel == layout.CheckpointPath {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

// readResource reads the resource at a canonical tlog-tiles path (as
// resourcePath returns it) from src. A partial tile or bundle is cut to
// the width its path names: Tessera's MySQL driver returns the widest one
// it holds, and a client may rely on the exact width.
func readResource(ctx context.Context, src Source, rel string) ([]byte, error) {
	if rel == layout.CheckpointPath {
		return src.ReadCheckpoint(ctx)
	}
	rest := strings.TrimPrefix(rel, "tile/")
	if idx, ok := strings.CutPrefix(rest, "entries/"); ok {
		n, p, err := layout.ParseTileIndexPartial(idx)
		if err != nil {
			return nil, fs.ErrNotExist
		}
		b, err := src.ReadEntryBundle(ctx, n, p)
		if err != nil {
			return nil, err
		}
		return cutBundle(b, p)
	}
	level, idx, _ := strings.Cut(rest, "/")
	l, n, p, err := layout.ParseTileLevelIndexPartial(level, idx)
	if err != nil {
		return nil, fs.ErrNotExist
	}
	t, err := src.ReadTile(ctx, l, n, p)
	if err != nil {
		return nil, err
	}
	want := int(p) * sha256.Size
	if p == 0 {
		want = layout.TileWidth * sha256.Size
	}
	if len(t) < want {
		return nil, fs.ErrNotExist
	}
	return t[:want], nil
}

// cutBundle returns the first p entries of an entry bundle (all of a full
// one when p is 0), or fs.ErrNotExist when it holds fewer.
func cutBundle(b []byte, p uint8) ([]byte, error) {
	want := int(p)
	if want == 0 {
		want = layout.EntryBundleWidth
	}
	off := 0
	for range want {
		if len(b)-off < 2 {
			return nil, fs.ErrNotExist
		}
		n := int(binary.BigEndian.Uint16(b[off:]))
		if len(b)-off-2 < n {
			return nil, fmt.Errorf("entry bundle: entry at byte %d runs past the end", off)
		}
		off += 2 + n
	}
	return b[:off], nil
}

// problemTypes are the RFC 9457 types of the read API's errors, the same
// URIs as Accord's API uses.
var problemTypes = map[int][2]string{
	http.StatusNotFound:            {"not-found", "No such resource"},
	http.StatusMethodNotAllowed:    {"method-not-allowed", "Method not allowed"},
	http.StatusInternalServerError: {"internal", "Internal error"},
}

// refuse answers status with detail: as application/problem+json (RFC
// 9457) when the client accepts JSON, else as plain text, which is what
// tlog clients expect.
func refuse(w http.ResponseWriter, r *http.Request, status int, detail string) {
	if !acceptsJSON(r) {
		http.Error(w, detail, status)
		return
	}
	t := problemTypes[status]
	body, _ := json.Marshal(struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}{"/problems/" + t[0], t[1], status, detail}) // served by the API (GET /problems/{type})
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// acceptsJSON reports whether the request's Accept header names a JSON
// media type (application/json, application/problem+json, …+json).
func acceptsJSON(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
			mt = strings.ToLower(strings.TrimSpace(mt))
			if mt == "application/json" || strings.HasSuffix(mt, "+json") {
				return true
			}
		}
	}
	return false
}

// resourcePath maps a request path to the file it names under the log
// directory, and its Cache-Control. Only canonical tlog-tiles paths are
// accepted: the path is parsed, and rebuilt from the parsed numbers, so no
// other file can be reached.
func resourcePath(p string) (rel, cache string, ok bool) {
	p = strings.TrimPrefix(p, "/")
	if p == layout.CheckpointPath {
		return p, cacheCheckpoint, true
	}
	rest, found := strings.CutPrefix(p, "tile/")
	if !found {
		return "", "", false
	}
	var want string
	var partial uint8
	if idx, ok := strings.CutPrefix(rest, "entries/"); ok {
		n, w, err := layout.ParseTileIndexPartial(idx)
		if err != nil {
			return "", "", false
		}
		want, partial = layout.EntriesPath(n, w), w
	} else {
		level, idx, found := strings.Cut(rest, "/")
		if !found {
			return "", "", false
		}
		l, n, w, err := layout.ParseTileLevelIndexPartial(level, idx)
		if err != nil {
			return "", "", false
		}
		want, partial = layout.TilePath(l, n, w), w
	}
	if want != p {
		return "", "", false
	}
	if partial > 0 {
		return want, cachePartial, true
	}
	return want, cacheFull, true
}
