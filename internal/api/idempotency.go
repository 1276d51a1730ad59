package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/store"
)

// Idempotent retries (the IETF Idempotency-Key draft).
//
// Every request that creates or changes something honours an
// Idempotency-Key header: the first request with a key is processed and,
// when it succeeds (2xx), its answer (status, Content-Type, Location,
// Content-Language, ETag, Accord-Log-Index and body) is kept in the store for
// store.IdempotencyRetention, bound to the caller's principal. A retry with
// the same key and the same request (method, path, query and body, hashed
// with SHA-256) gets that answer again, with Idempotent-Replayed: true, and
// takes no effect: no new log entry, no new count. The same key with
// another request is refused (422). A retry while the first is still being
// processed is refused (409, Retry-After: 1); the claim is made by one
// insert-if-absent in the database, so this holds across processes and
// restarts. An answer that is not 2xx releases the key: nothing took
// effect, and a retry is processed afresh.

// idempotencyHeader is the request header naming a key.
const idempotencyHeader = "Idempotency-Key"

// replayedHeaders are the response header fields kept with a key and
// replayed.
var replayedHeaders = []string{"Content-Type", "Location", "Content-Language", "ETag", "Accord-Log-Index"}

// idempotent makes h honour Idempotency-Key.
func (s *Server) idempotent(h handlerFunc) handlerFunc { return s.idempotentUpTo(maxBody, h) }

// idempotentUpTo is idempotent for a handler whose bodies may reach limit
// bytes (SBOMs and advisories are larger than maxBody).
func (s *Server) idempotentUpTo(limit int64, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		vals := r.Header.Values(idempotencyHeader)
		if len(vals) == 0 {
			h(w, r, c)
			return
		}
		key, p := parseIdempotencyKey(vals)
		if p != nil {
			writeProblem(w, r, p)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeProblem(w, r, newProblem(http.StatusRequestEntityTooLarge, locale.Errorf("the body exceeds %s bytes", strconv.FormatInt(limit, 10))))
				return
			}
			writeProblem(w, r, newProblem(http.StatusBadRequest, locale.Errorf("could not read the body")))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		fp := requestFingerprint(r, body)
		ctx := r.Context()
		rec, held, err := s.cfg.Store.ClaimIdempotencyKey(ctx, store.IdempotencyClaim{Principal: c.principal.ID, Key: key, Fingerprint: fp, At: s.cfg.Now()})
		if err != nil {
			writeProblem(w, r, s.storeProblem(err, locale.Errorf("idempotency key")))
			return
		}
		if !held {
			switch {
			case !bytes.Equal(rec.Fingerprint, fp):
				writeProblem(w, r, typedProblem(http.StatusUnprocessableEntity, "idempotency-key-reused",
					locale.Errorf("Idempotency-Key: this key was used for a request with another method, path or body; use a new key for a new request")))
			case rec.Status == 0:
				w.Header().Set("Retry-After", "1")
				writeProblem(w, r, typedProblem(http.StatusConflict, "idempotency-key-in-progress",
					locale.Errorf("Idempotency-Key: the first request with this key is still being processed; retry after it")))
			default:
				replay(w, rec)
			}
			return
		}
		rw := &recorder{header: http.Header{}, status: http.StatusOK}
		h(rw, r, c)
		// The effect, if any, has happened: record it even if the caller
		// went away.
		bg := context.WithoutCancel(ctx)
		if rw.status >= 200 && rw.status < 300 {
			keep := http.Header{}
			for _, name := range replayedHeaders {
				if v := rw.header.Values(name); len(v) > 0 {
					keep[name] = v
				}
			}
			rec.Status, rec.Body = rw.status, rw.body.Bytes()
			rec.Header, _ = json.Marshal(keep)
			if err := s.cfg.Store.CompleteIdempotencyKey(bg, rec); err != nil {
				s.log.Warn("idempotency key: the answer could not be kept; a retry may take effect again", slog.String("principal", c.principal.ID), slog.String("error", err.Error()))
			}
		} else if err := s.cfg.Store.ReleaseIdempotencyKey(bg, rec.Principal, rec.Key, rec.Created); err != nil {
			s.log.Warn("idempotency key: release", slog.String("principal", c.principal.ID), slog.String("error", err.Error()))
		}
		rw.flush(w)
	}
}

// parseIdempotencyKey reads the one Idempotency-Key field: a structured
// field string ("...", as the draft says) or, leniently, the bare text;
// 1 to store.MaxIdempotencyKey printable ASCII characters.
func parseIdempotencyKey(vals []string) (string, *Problem) {
	bad := func(msg error) (string, *Problem) {
		return "", newProblem(http.StatusBadRequest, locale.Errorf("%s: %v", idempotencyHeader, msg))
	}
	if len(vals) != 1 {
		return bad(locale.Errorf("send the header once"))
	}
	v := strings.TrimSpace(vals[0])
	if strings.HasPrefix(v, `"`) {
		u, err := strconv.Unquote(v)
		if err != nil || !strings.HasSuffix(v, `"`) {
			return bad(locale.Errorf("not a valid quoted string"))
		}
		v = u
	}
	if v == "" || len(v) > store.MaxIdempotencyKey {
		return bad(locale.Errorf("must be 1 to %s characters", strconv.Itoa(store.MaxIdempotencyKey)))
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return bad(locale.Errorf("byte %s is not printable ASCII", strconv.Itoa(i)))
		}
	}
	return v, nil
}

// requestFingerprint is the SHA-256 of the method, path, query and body.
func requestFingerprint(r *http.Request, body []byte) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%d\n", r.Method, r.URL.Path, r.URL.RawQuery, len(body))
	h.Write(body)
	return h.Sum(nil)
}

// replay answers with a kept response.
func replay(w http.ResponseWriter, rec store.IdempotencyRecord) {
	var kept http.Header
	_ = json.Unmarshal(rec.Header, &kept)
	for name, v := range kept {
		w.Header()[http.CanonicalHeaderKey(name)] = v
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(rec.Status)
	_, _ = w.Write(rec.Body)
}

// recorder holds a response until it is kept or let go.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

// Header returns the header to be sent.
func (r *recorder) Header() http.Header { return r.header }

// WriteHeader records the status (the first one counts).
func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}

// Write records body bytes.
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}

// flush sends the recorded response to w.
func (r *recorder) flush(w http.ResponseWriter) {
	for name, v := range r.header {
		w.Header()[name] = v
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body.Bytes())
}
