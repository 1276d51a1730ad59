package api

import (
	"net/http"
	"path"
	"strings"

	"github.com/accord-dev/accord/internal/advisory"
	"github.com/accord-dev/accord/internal/locale"
)

// Publication routes: what existing tools read, without a token (the
// advisories are public documents). /osv/ is the OSV export
// (advisory.OSVExport); /.well-known/csaf/ is a directory-based CSAF
// provider (advisory.CSAFDistribution), on only when Advisories.Provider
// is set.
func (s *Server) publicationRoutes() {
	s.mux.HandleFunc("GET /osv/{file}", func(w http.ResponseWriter, r *http.Request) {
		a := s.cfg.Advisories
		if a == nil {
			writeProblem(w, r, newProblem(http.StatusNotFound, locale.Errorf("advisories are not enabled on this server")))
			return
		}
		recs, err := a.Store.ListAdvisories(r.Context())
		if err != nil {
			writeProblem(w, r, s.storeProblem(err, locale.Errorf("advisories")))
			return
		}
		files, err := advisory.OSVExport(recs)
		if err != nil {
			writeProblem(w, r, s.storeProblem(err, locale.Errorf("OSV export")))
			return
		}
		serveFile(w, r, files, r.PathValue("file"))
	})
	s.mux.HandleFunc("GET /.well-known/csaf/{file...}", func(w http.ResponseWriter, r *http.Request) {
		a := s.cfg.Advisories
		if a == nil || a.Provider == nil {
			writeProblem(w, r, newProblem(http.StatusNotFound, locale.Errorf("this server is not a CSAF provider")))
			return
		}
		recs, err := a.Store.ListAdvisories(r.Context())
		if err != nil {
			writeProblem(w, r, s.storeProblem(err, locale.Errorf("advisories")))
			return
		}
		files, err := advisory.CSAFDistribution(*a.Provider, recs, s.cfg.Now())
		if err != nil {
			writeProblem(w, r, s.storeProblem(err, locale.Errorf("CSAF distribution")))
			return
		}
		serveFile(w, r, files, r.PathValue("file"))
	})
	s.mux.HandleFunc("GET /.well-known/security.txt", func(w http.ResponseWriter, r *http.Request) {
		a := s.cfg.Advisories
		if a == nil || a.Provider == nil {
			writeProblem(w, r, newProblem(http.StatusNotFound, locale.Errorf("no security.txt: this server is not a CSAF provider")))
			return
		}
		files, err := advisory.CSAFDistribution(*a.Provider, nil, s.cfg.Now())
		if err != nil {
			writeProblem(w, r, s.storeProblem(err, locale.Errorf("security.txt")))
			return
		}
		serveFile(w, r, files, "security.txt")
	})
}

// serveFile answers with files[name] and a content type from its
// extension; 404 when there is none.
func serveFile(w http.ResponseWriter, r *http.Request, files advisory.Files, name string) {
	key := path.Clean(name)
	if strings.HasSuffix(name, "/") {
		key += "/"
	}
	b, ok := files[key]
	if !ok || strings.Contains(name, "..") {
		writeProblem(w, r, newProblem(http.StatusNotFound, locale.Errorf("no file %s", name)))
		return
	}
	ct := "text/plain; charset=utf-8"
	switch {
	case strings.HasSuffix(name, "/"):
		ct = "text/html; charset=utf-8"
	case strings.HasSuffix(name, ".json"):
		ct = "application/json"
	case strings.HasSuffix(name, ".csv"):
		ct = "text/csv; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
