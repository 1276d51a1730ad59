package api

import (
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/accord-dev/accord/internal/locale"
	"golang.org/x/text/language"
)

// Every problem type is a relative URI reference (/problems/<name>,
// RFC 9457 section 3.1.1): it resolves against the request's URI to a page
// this server serves, in English or French (?lang=fr, or Accept-Language),
// saying what the problem means and what to do.

// problemDoc explains one problem type.
type problemDoc struct {
	status int
	// en and fr are the title and the explanation.
	en, fr [2]string
}

// problemDocs are the problem types the API (and the log's read API under
// /log/) can answer with.
var problemDocs = map[string]problemDoc{
	"bad-request": {400, [2]string{"The request is not valid", "The body, a query parameter or a header is invalid; the detail names it (field: the member of the body, or the parameter). Correct it and send it again; nothing changed."},
		[2]string{"La requête n'est pas valide", "Le corps, un paramètre ou un en-tête n'est pas valide ; le détail le nomme (field : le membre du corps ou le paramètre). Corrigez-le et renvoyez la requête ; rien n'a changé."}},
	"unauthorized": {401, [2]string{"A valid bearer token is required", "Send Authorization: Bearer <token>, a token that is not expired or revoked (accord token create), or a client certificate."},
		[2]string{"Un jeton valide est requis", "Envoyez Authorization: Bearer <jeton>, un jeton ni expiré ni révoqué (accord token create), ou un certificat client."}},
	"forbidden": {403, [2]string{"The credential does not allow this", "The role of the credential may not do this, or the body claims another identity than the credential's principal."},
		[2]string{"Le titre d'accès ne le permet pas", "Le rôle du titre d'accès ne permet pas cette opération, ou le corps prétend une autre identité que celle du titre."}},
	"not-found": {404, [2]string{"No such resource", "Nothing exists at this path, or it belongs to another principal."},
		[2]string{"Ressource introuvable", "Rien n'existe à ce chemin, ou la ressource appartient à un autre mandant."}},
	"method-not-allowed": {405, [2]string{"Method not allowed", "The path exists; the Allow header lists its methods."},
		[2]string{"Méthode non permise", "Le chemin existe ; l'en-tête Allow liste ses méthodes."}},
	"conflict": {409, [2]string{"The request conflicts with the state of the resource", "A label contradicts the catalog, the resource exists already, or an MLA case is not in a state that allows the step. Read the resource and decide again."},
		[2]string{"La requête contredit l'état de la ressource", "Une étiquette contredit le catalogue, la ressource existe déjà, ou le dossier d'entraide n'est pas dans un état qui permet l'étape. Relisez la ressource et décidez à nouveau."}},
	"idempotency-key-in-progress": {409, [2]string{"A request with this Idempotency-Key is in progress", "The first request with this key is still being processed. Retry after Retry-After seconds: you will get its answer."},
		[2]string{"Une requête avec cette Idempotency-Key est en cours", "La première requête avec cette clé est encore en traitement. Réessayez après Retry-After secondes : vous recevrez sa réponse."}},
	"precondition-failed": {412, [2]string{"The resource changed since the version the request names", "If-Match names an ETag that is no longer current (or If-None-Match: * and the resource exists). GET the resource again, reapply your change, and send it with the new ETag."},
		[2]string{"La ressource a changé depuis la version nommée", "If-Match nomme un ETag qui n'est plus le courant (ou If-None-Match: * et la ressource existe). Relisez la ressource, réappliquez la modification et renvoyez-la avec le nouvel ETag."}},
	"too-large": {413, [2]string{"The request body is too large", "Bodies are at most 1 MiB."},
		[2]string{"Le corps de la requête est trop grand", "Les corps font au plus 1 Mio."}},
	"unsupported-media-type": {415, [2]string{"The request body must be application/json", "Send Content-Type: application/json (UTF-8)."},
		[2]string{"Le corps doit être application/json", "Envoyez Content-Type: application/json (UTF-8)."}},
	"beyond-scope": {422, [2]string{"The request goes beyond the scope granted", "An MLA narrowing wider than the request, or an execution beyond the scope the case grants."},
		[2]string{"La requête dépasse la portée accordée", "Une restriction plus large que la demande, ou une exécution au-delà de la portée accordée par le dossier."}},
	"idempotency-key-reused": {422, [2]string{"The Idempotency-Key was used for another request", "The key was sent before, by the same principal, with another method, path or body. Use a new key for a new request."},
		[2]string{"L'Idempotency-Key a servi à une autre requête", "La clé a déjà été envoyée, par le même mandant, avec une autre méthode, un autre chemin ou un autre corps. Utilisez une nouvelle clé pour une nouvelle requête."}},
	"precondition-required": {428, [2]string{"This write needs If-Match", "Replacing or deleting a dataset or an override needs If-Match with the ETag you read (If-None-Match: * to create an override), so that you cannot undo a change made since."},
		[2]string{"Cette écriture exige If-Match", "Remplacer ou supprimer un jeu de données ou une surcharge exige If-Match avec l'ETag lu (If-None-Match: * pour créer une surcharge), pour ne pas défaire une modification faite entre-temps."}},
	"rate-limited": {429, [2]string{"Too many requests from this principal", "The principal sent more than its rate. Wait Retry-After seconds; the RateLimit fields say what is left."},
		[2]string{"Trop de requêtes de ce mandant", "Le mandant a dépassé son débit. Attendez Retry-After secondes ; les champs RateLimit disent ce qui reste."}},
	"headers-too-large": {431, [2]string{"The request's header fields are too large", "The header block exceeds 64 KiB."},
		[2]string{"Les en-têtes de la requête sont trop grands", "Le bloc d'en-têtes dépasse 64 Kio."}},
	"internal": {500, [2]string{"Internal error", "The server failed; its log has the detail. A decision that was logged but not recorded is voided: do not act on it."},
		[2]string{"Erreur interne", "Le serveur a échoué ; son journal a le détail. Une décision journalisée mais non enregistrée est annulée : n'agissez pas sur elle."}},
	"unavailable": {503, [2]string{"Temporarily unavailable; retry later", "The database or the log cannot be written; nothing was decided. Retry after Retry-After seconds, with the same Idempotency-Key."},
		[2]string{"Indisponible pour l'instant ; réessayez", "La base ou le journal ne peut être écrit ; rien n'a été décidé. Réessayez après Retry-After secondes, avec la même Idempotency-Key."}},
}

var problemPage = template.Must(template.New("problem").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body>
<h1>{{.Title}}</h1>
<p>HTTP {{.Status}} · <code>{{.Type}}</code></p>
<p>{{.Text}}</p>
</body>
</html>
`))

// problemLang picks fr or en for a page: ?lang=, else Accept-Language.
func problemLang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		if strings.HasPrefix(l, "fr") {
			return "fr"
		}
		return "en"
	}
	return acceptLanguage(r.Header.Get("Accept-Language"))
}

// acceptLanguage picks fr or en from an Accept-Language field: the first
// of its languages, by weight, that is French or English; English when it
// names neither. A field that does not parse is read in its order, tag by
// tag, never refused.
func acceptLanguage(field string) string {
	tags, _, err := language.ParseAcceptLanguage(field)
	if err != nil {
		for _, part := range strings.Split(field, ",") {
			if t, err := language.Parse(strings.TrimSpace(strings.SplitN(part, ";", 2)[0])); err == nil {
				tags = append(tags, t)
			}
		}
	}
	for _, t := range tags {
		switch b, _ := t.Base(); b.String() {
		case "fr":
			return "fr"
		case "en":
			return "en"
		}
	}
	return "en"
}

// requestPrinter is the printer for the language of r's Accept-Language
// (see acceptLanguage), in which problems answer r.
func requestPrinter(r *http.Request) *locale.Printer {
	if r == nil {
		return locale.For("en")
	}
	return locale.For(acceptLanguage(r.Header.Get("Accept-Language")))
}

// serveProblemPage serves GET /problems/{type}.
func serveProblemPage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("type")
	doc, ok := problemDocs[name]
	if !ok {
		writeProblem(w, r, newProblem(http.StatusNotFound, locale.Errorf("no problem type %s; types: %s", name, strings.Join(problemTypeNames(), ", "))))
		return
	}
	if _, p := parseQuery(r, false, "lang"); p != nil {
		writeProblem(w, r, p)
		return
	}
	lang := problemLang(r)
	text := doc.en
	if lang == "fr" {
		text = doc.fr
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", lang)
	w.Header().Add("Vary", "Accept-Language")
	_ = problemPage.Execute(w, map[string]any{"Lang": lang, "Title": text[0], "Text": text[1], "Status": doc.status, "Type": problemBase + name})
}

// problemTypeNames lists the documented types, sorted.
func problemTypeNames() []string {
	names := make([]string, 0, len(problemDocs))
	for n := range problemDocs {
		names = append(names, n)
	}
	sort.Strings(names)
	return slices.Clip(names)
}
