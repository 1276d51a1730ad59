package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// Cookie names. The session cookie holds a random id, never the token.
const (
	sessionCookie = "accord_session"
	signinCookie  = "accord_signin" // double-submit CSRF token of the sign-in form
	langCookie    = "accord_lang"
)

// maxSessions bounds the sessions held; beyond it the oldest is dropped.
const maxSessions = 10000

// session is one signed-in browser.
type session struct {
	// token is the API token the user signed in with; every API call of
	// this session carries it.
	token string
	// csrf is the token every form of this session must send back.
	csrf string
	// who is what GET /v1/whoami answered, refreshed on each request.
	who whoami
	// created and seen bound the session's life (MaxAge, IdleTimeout).
	created, seen time.Time
}

// whoami mirrors api.WhoAmI.
type whoami struct {
	Principal struct {
		ID           string `json:"id"`
		Name         string `json:"name"`
		Kind         string `json:"kind"`
		Role         string `json:"role"`
		Jurisdiction string `json:"jurisdiction"`
	} `json:"principal"`
	Role string `json:"role"`
}

// sessions holds sessions by the SHA-256 of their id, so a memory dump
// does not hand out cookies.
type sessions struct {
	mu        sync.Mutex
	m         map[string]*session
	now       func() time.Time
	idle, max time.Duration
}

func newSessions(now func() time.Time, idle, max time.Duration) *sessions {
	return &sessions{m: map[string]*session{}, now: now, idle: idle, max: max}
}

// randomToken returns 32 random bytes, base64url.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func sessionKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// create stores a new session for token and returns its id.
func (ss *sessions) create(token string, who whoami) string {
	id := randomToken()
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.sweepLocked(now)
	if len(ss.m) >= maxSessions {
		var oldest string
		var at time.Time
		for k, s := range ss.m {
			if oldest == "" || s.created.Before(at) {
				oldest, at = k, s.created
			}
		}
		delete(ss.m, oldest)
	}
	ss.m[sessionKey(id)] = &session{token: token, csrf: randomToken(), who: who, created: now, seen: now}
	return id
}

// live reports whether s may still be used at now.
func (ss *sessions) live(s *session, now time.Time) bool {
	return now.Sub(s.seen) < ss.idle && now.Sub(s.created) < ss.max && !now.Before(s.created)
}

// get returns the live session of id (and marks it used), or nil.
func (ss *sessions) get(id string) *session {
	if id == "" {
		return nil
	}
	now := ss.now()
	k := sessionKey(id)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[k]
	if !ok {
		return nil
	}
	if !ss.live(s, now) {
		delete(ss.m, k)
		return nil
	}
	s.seen = now
	return s
}

// fromRequest returns the live session of r's cookie, or nil.
func (ss *sessions) fromRequest(r *http.Request) *session {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	return ss.get(ck.Value)
}

// end deletes the session of id.
func (ss *sessions) end(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, sessionKey(id))
}

// endToken deletes every session signed in with token: the API refused it.
func (ss *sessions) endToken(token string) int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	n := 0
	for k, s := range ss.m {
		if subtle.ConstantTimeCompare([]byte(s.token), []byte(token)) == 1 {
			delete(ss.m, k)
			n++
		}
	}
	return n
}

// count returns how many sessions are held, live or not yet swept.
func (ss *sessions) count() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.m)
}

func (ss *sessions) sweepLocked(now time.Time) {
	for k, s := range ss.m {
		if !ss.live(s, now) {
			delete(ss.m, k)
		}
	}
}

// setSessionCookie gives the browser the session id.
func setSessionCookie(w http.ResponseWriter, r *http.Request, id string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// clearCookie removes a cookie from the browser.
func clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// sameToken compares two CSRF tokens in constant time; empty never
// matches.
func sameToken(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
