package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/accord-dev/accord/internal/locale"
)

// The client commands talk to an Accord server over its HTTP API (the
// contract is /v1/openapi.json) so that nobody needs curl: decisions,
// datasets, lodging signed statements, and the steps of MLA cases.
//
// The server is --server URL (or ACCORD_SERVER); the bearer token is
// --token (or ACCORD_TOKEN). Every POST that creates something carries an
// Idempotency-Key header: a fresh random key per invocation, or the one
// given with --idempotency-key, so that a retried command (after a timeout,
// say) is recognised by a server that honours the header instead of
// deciding or logging twice. Output follows the local commands: --format
// text|json, and the exit codes of accord check for decisions.

// clientOptions are the flags of a command that talks to a server.
type clientOptions struct {
	server         string
	token          string
	idempotencyKey string
	format         string
	timeout        time.Duration
}

// addClientFlags registers --server, --token and --timeout on fs, and
// --idempotency-key when the command creates something.
func (o *clientOptions) addFlags(fs *pflag.FlagSet, creates bool) {
	fs.StringVar(&o.server, "server", "", "URL of the Accord server (default: $ACCORD_SERVER)")
	fs.StringVar(&o.token, "token", "", "bearer token (default: $ACCORD_TOKEN)")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "give up on the server after this long")
	if creates {
		fs.StringVar(&o.idempotencyKey, "idempotency-key", "", "Idempotency-Key header of the request (default: a random key per invocation); repeat a command with the same key to retry it safely")
	}
}

// serverURL returns --server, else $ACCORD_SERVER, else "".
func (o *clientOptions) serverURL() string {
	if o.server != "" {
		return o.server
	}
	return os.Getenv("ACCORD_SERVER")
}

// client returns the API client for the options, checking the URL and the
// token.
func (o *clientOptions) client() (*apiClient, error) {
	raw := o.serverURL()
	if raw == "" {
		return nil, badInput(locale.Errorf("--server: give the server's URL (or set ACCORD_SERVER)"))
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, badInput(locale.Errorf("--server %q: want an http:// or https:// URL such as http://127.0.0.1:8700", raw))
	}
	tok := o.token
	if tok == "" {
		tok = os.Getenv("ACCORD_TOKEN")
	}
	if tok == "" {
		return nil, badInput(locale.Errorf("--token: give a bearer token (or set ACCORD_TOKEN); accord token create makes one"))
	}
	key := o.idempotencyKey
	if key == "" {
		key, err = newIdempotencyKey()
		if err != nil {
			return nil, err
		}
	} else if len(key) > 255 || strings.ContainsAny(key, "\r\n") {
		return nil, badInput(locale.Errorf("--idempotency-key: at most 255 characters, on one line"))
	}
	if o.format != "" && o.format != "text" && o.format != "json" {
		return nil, badInput(locale.Errorf("--format: %q is not text or json", o.format))
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &apiClient{base: u, token: tok, idempotencyKey: key, http: &http.Client{Timeout: o.timeout}}, nil
}

// newIdempotencyKey returns 128 random bits, hex-encoded.
func newIdempotencyKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", locale.Errorf("make an idempotency key: %v", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// apiClient calls one Accord server as one token holder.
type apiClient struct {
	base           *url.URL
	token          string
	idempotencyKey string
	http           *http.Client
	// lastHeader is the header of the last answer (for a CSV page's
	// Next-Page-Token).
	lastHeader http.Header
}

// apiError is an error answer of the server: its status and RFC 9457
// problem detail.
type apiError struct {
	Method, Path string
	Status       int
	Title        string `json:"title"`
	Detail       string `json:"detail"`
	Field        string `json:"field"`
}

func (e *apiError) Error() string { return e.Text(locale.For("en")) }

// Text is the error in p's language; the server's own words (its problem
// detail, or title) stay as it wrote them.
func (e *apiError) Text(p *locale.Printer) string {
	msg := e.Detail
	if msg == "" {
		msg = e.Title
	}
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return p.Sprintf("the server answered %s to %s %s: %s", strconv.Itoa(e.Status), e.Method, e.Path, msg)
}

// call sends method path with body (nil for none) and returns the answer's
// body for a 2xx. creates marks a POST that creates something: it carries
// the Idempotency-Key. A server that cannot be reached, and an error
// answer, are errors that say which (exit 1; 2 for a 4xx, the caller's
// input).
func (c *apiClient) call(ctx context.Context, method, path string, body []byte, creates bool) ([]byte, int, error) {
	u := *c.base
	p, q, _ := strings.Cut(path, "?")
	u.Path += p
	u.RawQuery = q
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, 0, locale.Errorf("%s %s: %v", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Language", userPrinter().Tag().String()) // problems come back in the user's language
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if creates {
		req.Header.Set("Idempotency-Key", c.idempotencyKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if unreachable(err) {
			return nil, 0, locale.Errorf("the server at %s is unreachable (is it running, and is --server right?): %v", c.base.String(), err)
		}
		return nil, 0, locale.Errorf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	c.lastHeader = resp.Header
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, resp.StatusCode, locale.Errorf("%s %s: read the answer: %v", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		ae := &apiError{Method: method, Path: path, Status: resp.StatusCode}
		_ = json.Unmarshal(data, ae)
		ae.Status = resp.StatusCode
		if resp.StatusCode/100 == 4 {
			return nil, resp.StatusCode, badInput(ae)
		}
		return nil, resp.StatusCode, ae
	}
	return data, resp.StatusCode, nil
}

// readInput reads a file, or standard input for "-", naming the file in
// the error.
func readInput(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		data, err := io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return nil, badInput(locale.Errorf("read standard input: %v", err))
		}
		return data, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, badInput(locale.Errorf("read %s: %v", name, err))
	}
	return data, nil
}

// writeIndented writes a JSON answer indented, as the local commands do.
func writeIndented(w io.Writer, data []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(data), "", "  "); err != nil {
		_, err = w.Write(data)
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}
