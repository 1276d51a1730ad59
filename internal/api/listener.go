package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"

	"github.com/accord-dev/accord/internal/locale"
)

// ProblemListener wraps a plain-TCP listener so that the errors net/http
// writes by itself, before any handler runs, go out as problem+json like
// every other error: 431 when the header block exceeds the server's
// MaxHeaderBytes, 400 for a malformed request, 501 for an unknown
// transfer coding. net/http writes those as text/plain with no hook; this
// recognises them on the wire (a status line followed by exactly
// net/http's fixed error headers, which no handler's response has) and
// replaces them. Everything else passes through untouched.
//
// It cannot see into TLS: with http.Server.ServeTLS those errors stay
// text/plain. Serve plain HTTP behind a TLS-terminating proxy, or accept
// that.
func ProblemListener(ln net.Listener) net.Listener { return problemListener{ln} }

type problemListener struct{ net.Listener }

func (l problemListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &problemConn{Conn: c}, nil
}

// problemConn rewrites net/http's own error responses (see
// ProblemListener).
type problemConn struct{ net.Conn }

// bareErrorHeaders is what net/http writes after the status line of an
// error it answers itself (net/http server.go, errorHeaders).
var bareErrorHeaders = []byte("\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n")

// bareErrorDetail says what each status net/http answers itself means.
var bareErrorDetail = map[int]error{
	http.StatusRequestHeaderFieldsTooLarge: locale.Errorf("the request's header fields are too large"),
	http.StatusBadRequest:                  locale.Errorf("the HTTP request is malformed"),
	http.StatusNotImplemented:              locale.Errorf("the request's transfer coding is not supported"),
}

func (c *problemConn) Write(p []byte) (int, error) {
	status, ok := bareError(p)
	if !ok {
		return c.Conn.Write(p)
	}
	detail, known := bareErrorDetail[status]
	if !known {
		detail = errors.New(http.StatusText(status))
	}
	body, _ := json.Marshal(newProblem(status, detail))
	resp := fmt.Sprintf("HTTP/1.1 %d %s\r\nContent-Type: application/problem+json\r\nCache-Control: no-store\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		status, http.StatusText(status), len(body), body)
	if _, err := io.WriteString(c.Conn, resp); err != nil {
		return 0, err
	}
	return len(p), nil
}

// bareError recognises a whole error response written by net/http itself:
// "HTTP/1.1 NNN …" then bareErrorHeaders right after the status line.
func bareError(p []byte) (int, bool) {
	rest, ok := bytes.CutPrefix(p, []byte("HTTP/1.1 "))
	if !ok || len(rest) < 4 || rest[3] != ' ' {
		return 0, false
	}
	status, err := strconv.Atoi(string(rest[:3]))
	if err != nil || status < 400 {
		return 0, false
	}
	eol := bytes.IndexByte(rest, '\r')
	if eol < 0 || !bytes.HasPrefix(rest[eol:], bareErrorHeaders) {
		return 0, false
	}
	return status, true
}

// CloseWrite half-closes the connection as net/http does after a 431, so
// that the client reads the answer before the connection goes.
func (c *problemConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom keeps the kernel's sendfile for file bodies (log tiles).
func (c *problemConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}
