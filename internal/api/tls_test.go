package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/store"
)

// testCA issues client certificates for tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

func (ca *testCA) client(t *testing.T, cn string, ous ...string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn, OrganizationalUnit: ous},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestClientCertificates(t *testing.T) {
	e := newEnv(t)
	ca := newTestCA(t)
	ts := httptest.NewUnstartedServer(api.New(*e.cfg))
	ts.TLS = &tls.Config{ClientCAs: ca.pool, ClientAuth: tls.VerifyClientCertIfGiven}
	ts.StartTLS()
	defer ts.Close()
	other := newTestCA(t)

	cases := []struct {
		name         string
		cert         *tls.Certificate
		token        string
		method, path string
		status       int
	}{
		{"requester certificate may check", ptr(ca.client(t, "acme", "requester")), "", "POST", "/v1/check", 200},
		{"requester certificate may decide", ptr(ca.client(t, "acme", "requester")), "", "POST", "/v1/decisions", 201},
		{"operator certificate may not decide", ptr(ca.client(t, "ops", "operator")), "", "POST", "/v1/decisions", 403},
		{"first OU naming a role counts", ptr(ca.client(t, "ops", "Paris office", "operator")), "", "GET", "/v1/datasets", 200},
		{"no role in the certificate", ptr(ca.client(t, "acme", "Paris office")), "", "POST", "/v1/check", 401},
		{"unknown principal", ptr(ca.client(t, "nobody", "requester")), "", "POST", "/v1/check", 401},
		{"certificate from another CA", ptr(other.client(t, "acme", "requester")), "", "POST", "/v1/check", 0},
		{"no certificate, no token", nil, "", "POST", "/v1/check", 401},
		{"a token wins over the certificate", ptr(ca.client(t, "acme", "requester")), e.tokens[store.RoleOperator], "POST", "/v1/decisions", 403},
	}
	for _, c := range cases {
		tc := &tls.Config{RootCAs: poolOf(ts.Certificate())}
		if c.cert != nil {
			tc.Certificates = []tls.Certificate{*c.cert}
		}
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
		req, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(okRequest))
		req.Header.Set("Content-Type", "application/json")
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := client.Do(req)
		if c.status == 0 {
			if err == nil {
				resp.Body.Close()
				t.Errorf("%s: the TLS handshake succeeded", c.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.status)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func poolOf(c *x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c)
	return p
}
