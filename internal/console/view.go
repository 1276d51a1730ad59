package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/accord-dev/accord/internal/locale"
)

// view is what every template sees: the page's language, who is signed
// in, the CSRF token for its forms, when it was drawn, and the page's own
// data.
type view struct {
	p *locale.Printer
	// Lang is the BCP 47 tag of the page; Dir is "rtl" or "ltr".
	Lang, Dir string
	// Title is the page title; Nav the menu entry to mark current.
	Title, Nav string
	// Who is the signed-in user, nil on sign-in and error pages.
	Who *whoami
	// CSRF is the token every form sends back.
	CSRF string
	// Drawn is when the page was drawn (server clock, UTC).
	Drawn time.Time
	// Languages lists the language picker's entries.
	Languages []langOption
	// Path is the page's path and query without lang, for the picker.
	Path string
	// Error is a message for the whole page; Errors name fields.
	Error  string
	Errors map[string]string
	// Notice is a message of success.
	Notice string
	// Data is the page's own data.
	Data any
}

// langOption is one entry of the language picker.
type langOption struct {
	Tag, Name string
	Current   bool
}

// T translates key (an English fmt format string) into the page's
// language.
func (v *view) T(key string, args ...any) string { return v.p.Sprintf(key, args...) }

// Num formats n with the page language's digit grouping.
func (v *view) Num(n any) string {
	if p, ok := n.(*uint64); ok {
		if p == nil {
			return ""
		}
		n = *p
	}
	return v.p.Sprintf("%d", n)
}

// When formats t as an ISO 8601 UTC time (dates are data here, shown the
// same in every language, and parsed by <time>).
func (v *view) When(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// Seconds formats n seconds as a duration in the page's language.
func (v *view) Seconds(n int64) string { return v.p.Duration(time.Duration(n) * time.Second) }

// Field returns the error of field name, if any.
func (v *view) Field(name string) string { return v.Errors[name] }

// IsRole reports whether the signed-in user has one of roles (admin
// always).
func (v *view) IsRole(roles ...string) bool {
	if v.Who == nil {
		return false
	}
	if v.Who.Role == "admin" {
		return true
	}
	for _, r := range roles {
		if v.Who.Role == r {
			return true
		}
	}
	return false
}

// itemView is the view with one item of a list, for a template shared
// by a list's rows and a detail page (it keeps the view's T, CSRF and
// Data).
type itemView struct {
	*view
	// Item is the row.
	Item any
}

// With returns the view with item, for a template that draws one item.
func (v *view) With(item any) *itemView { return &itemView{view: v, Item: item} }

// rtl lists the base languages written right to left.
var rtl = map[string]bool{"ar": true, "he": true, "fa": true, "ur": true}

// knownLanguages returns the catalogs' languages.
func knownLanguages() []language.Tag { return locale.Languages() }

// pickLanguage finds the language of r: ?lang=, then the cookie, then
// Accept-Language. bad is the ?lang= value when it names no catalog.
func pickLanguage(r *http.Request) (tag language.Tag, fromQuery bool, bad string) {
	known := knownLanguages()
	match := func(s string) (language.Tag, bool) {
		t, err := language.Parse(s)
		if err != nil {
			return language.Und, false
		}
		base, _ := t.Base()
		for _, k := range known {
			if kb, _ := k.Base(); kb == base {
				return k, true
			}
		}
		return language.Und, false
	}
	if q := r.URL.Query().Get("lang"); q != "" {
		if t, ok := match(q); ok {
			return t, true, ""
		}
		return language.English, false, q
	}
	if ck, err := r.Cookie(langCookie); err == nil {
		if t, ok := match(ck.Value); ok {
			return t, false, ""
		}
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil {
			for _, t := range tags {
				if k, ok := match(t.String()); ok {
					return k, false, ""
				}
			}
		}
	}
	return language.English, false, ""
}

// newView starts the view of r: its language (setting the cookie when
// ?lang= chose it). An unknown ?lang= is answered here with a 400 page
// listing the known languages; newView then returns nil.
func (c *Console) newView(w http.ResponseWriter, r *http.Request) *view {
	tag, fromQuery, bad := pickLanguage(r)
	base, _ := tag.Base()
	v := &view{p: locale.For(tag.String()), Lang: tag.String(), Dir: "ltr", Drawn: c.cfg.Now().UTC()}
	if rtl[base.String()] {
		v.Dir = "rtl"
	}
	q := r.URL.Query()
	q.Del("lang")
	v.Path = r.URL.Path
	if len(q) > 0 {
		v.Path += "?" + q.Encode()
	}
	for _, k := range knownLanguages() {
		v.Languages = append(v.Languages, langOption{Tag: k.String(), Name: display.Self.Name(k), Current: k == tag})
	}
	if fromQuery {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: tag.String(), Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	}
	if bad != "" {
		names := make([]string, 0, len(v.Languages))
		for _, l := range v.Languages {
			names = append(names, l.Tag)
		}
		v.Title = v.T("Unknown language")
		v.Error = v.T("The language %q has no catalog. Known languages: %s.", bad, strings.Join(names, ", "))
		c.render(w, http.StatusBadRequest, "error", v)
		return nil
	}
	return v
}

// linkWithLang returns p with ?lang= set, for the language picker.
func linkWithLang(p, lang string) string {
	u, err := url.Parse(p)
	if err != nil {
		return "/console/?lang=" + url.QueryEscape(lang)
	}
	q := u.Query()
	q.Set("lang", lang)
	u.RawQuery = q.Encode()
	return u.String()
}

// parsePages parses each page template with the layout.
func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"withLang": linkWithLang,
		"join":     strings.Join,
		"lower":    strings.ToLower,
		"add":      func(a, b int) int { return a + b },
		"list":     func(s ...string) []string { return s },
		"idem":     randomToken,
	}
	layout, err := fs.ReadFile(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("console: layout: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		body, err := fs.ReadFile(templateFS, f)
		if err != nil {
			return nil, err
		}
		t, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err != nil {
			return nil, fmt.Errorf("console: layout: %w", err)
		}
		if _, err := t.Parse(string(body)); err != nil {
			return nil, fmt.Errorf("console: %s: %w", f, err)
		}
		out[name] = t
	}
	return out, nil
}

// render draws page with v, whole (layout) or, for an htmx request of a
// fragment, only the "fragment" template when the page defines one.
func (c *Console) render(w http.ResponseWriter, status int, page string, v *view) {
	t, ok := c.pages[page]
	if !ok {
		c.log.Error("console: no template", slog.String("page", page))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.log.Error("console: render", slog.String("page", page), slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.Lang)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderFragment draws only the named template of page (for htmx swaps).
func (c *Console) renderFragment(w http.ResponseWriter, status int, page, name string, v *view) {
	t, ok := c.pages[page]
	if !ok {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, v); err != nil {
		c.log.Error("console: render", slog.String("page", page), slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.Lang)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// pageFunc is a console page that needs a signed-in user.
type pageFunc func(w http.ResponseWriter, r *http.Request, s *session, v *view)

// page admits signed-in users: no live session sends the browser to
// sign-in; the token is re-checked with the API (a revoked token ends the
// session here); a POST must pass the cross-origin check and carry the
// session's CSRF token.
func (c *Console) page(h pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := c.newView(w, r)
		if v == nil {
			return
		}
		s := c.sessions.fromRequest(r)
		if s == nil {
			c.toSignin(w, r, "")
			return
		}
		var who whoami
		if err := c.getJSON(r, s, "/v1/whoami", nil, &who); err != nil {
			if errors.Is(err, errSignedOut) {
				c.log.Info("console session ended: the API refused its token", slog.String("principal", s.who.Principal.ID))
				clearCookie(w, r, sessionCookie)
				c.toSignin(w, r, "ended")
				return
			}
			c.fail(w, v, err)
			return
		}
		s.who = who
		v.Who, v.CSRF = &s.who, s.csrf
		if r.Method == http.MethodPost {
			if err := c.cop.Check(r); err != nil {
				v.Title = v.T("Refused")
				v.Error = v.T("This form was sent from another site; it was refused.")
				c.render(w, http.StatusForbidden, "error", v)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxUpload+64<<10)
			if err := r.ParseMultipartForm(maxUpload); err != nil && !errors.Is(err, http.ErrNotMultipart) {
				v.Title = v.T("Refused")
				v.Error = v.T("The form could not be read: %v", err)
				c.render(w, http.StatusBadRequest, "error", v)
				return
			}
			if !sameToken(r.PostFormValue("csrf"), s.csrf) {
				v.Title = v.T("Refused")
				v.Error = v.T("The form's security token is missing or stale; reload the page and try again.")
				c.render(w, http.StatusForbidden, "error", v)
				return
			}
		}
		h(w, r, s, v)
	}
}

// maxUpload bounds a form, file included (an envelope is a few KB).
const maxUpload = 1 << 20

// toSignin sends the browser to the sign-in page; why says why
// ("ended": the session ended).
func (c *Console) toSignin(w http.ResponseWriter, r *http.Request, why string) {
	target := "/console/signin"
	if why != "" {
		target += "?why=" + why
	}
	if r.Header.Get("HX-Request") != "" {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// fail draws an error page for an API error or a failure of the console.
func (c *Console) fail(w http.ResponseWriter, v *view, err error) {
	var ae *apiError
	status := http.StatusBadGateway
	if errors.As(err, &ae) {
		status = ae.Status
		v.Error = v.T("The server answered %d: %s", ae.Status, ae.Detail)
	} else {
		c.log.Error("console", slog.String("error", err.Error()))
		v.Error = v.T("The page could not be drawn; the server log says why.")
	}
	if v.Title == "" {
		v.Title = v.T("Error")
	}
	c.render(w, status, "error", v)
}

// signinForm draws the sign-in page, with a fresh double-submit token.
func (c *Console) signinForm(w http.ResponseWriter, r *http.Request) {
	v := c.newView(w, r)
	if v == nil {
		return
	}
	c.drawSignin(w, r, v, http.StatusOK)
}

func (c *Console) drawSignin(w http.ResponseWriter, r *http.Request, v *view, status int) {
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Value: tok, Path: "/console/signin", MaxAge: 3600,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	v.CSRF = tok
	v.Title = v.T("Sign in")
	if r.URL.Query().Get("why") == "ended" && v.Error == "" {
		v.Notice = v.T("Your session ended: it expired, you signed out, or its token was revoked. Sign in again.")
	}
	c.render(w, status, "signin", v)
}

// signin checks the token with the API and starts a session.
func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	v := c.newView(w, r)
	if v == nil {
		return
	}
	if err := c.cop.Check(r); err != nil {
		v.Title = v.T("Refused")
		v.Error = v.T("This form was sent from another site; it was refused.")
		c.render(w, http.StatusForbidden, "error", v)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		v.Errors = map[string]string{"token": v.T("The form could not be read.")}
		c.drawSignin(w, r, v, http.StatusBadRequest)
		return
	}
	ck, err := r.Cookie(signinCookie)
	if err != nil || !sameToken(ck.Value, r.PostFormValue("csrf")) {
		v.Error = v.T("The form's security token is missing or stale; reload the page and try again.")
		c.drawSignin(w, r, v, http.StatusForbidden)
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	if token == "" || len(token) > 512 || strings.ContainsAny(token, " \t\r\n") {
		v.Errors = map[string]string{"token": v.T("Paste an API token (from accord token create, or printed by serve --demo).")}
		c.drawSignin(w, r, v, http.StatusBadRequest)
		return
	}
	var who whoami
	rec, err := c.call(r, token, http.MethodGet, "/v1/whoami", nil, nil, nil)
	if err == nil {
		err = jsonInto(rec, "/v1/whoami", &who)
	}
	if err != nil {
		var ae *apiError
		if errors.Is(err, errSignedOut) || (errors.As(err, &ae) && ae.Status == http.StatusUnauthorized) {
			v.Errors = map[string]string{"token": v.T("This token is unknown, expired or revoked.")}
			c.drawSignin(w, r, v, http.StatusUnauthorized)
			return
		}
		c.fail(w, v, err)
		return
	}
	id := c.sessions.create(token, who)
	setSessionCookie(w, r, id, c.cfg.MaxAge)
	clearCookie(w, r, signinCookie)
	c.log.Info("console sign-in", slog.String("principal", who.Principal.ID), slog.String("role", who.Role))
	http.Redirect(w, r, landing(who.Role), http.StatusSeeOther)
}

// signout ends the session.
func (c *Console) signout(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		c.sessions.end(ck.Value)
	}
	clearCookie(w, r, sessionCookie)
	c.log.Info("console sign-out", slog.String("principal", s.who.Principal.ID))
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}
