package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/advisory"
)

// csafToolsVersion pins gocsaf's csaf_checker and csaf_downloader.
const csafToolsVersion = "v3.7.0"

// csafNotOnLoopback are the csaf_checker requirements that cannot hold
// here, and why: 10 (DNS path) needs the DNS name csaf.data.security.<domain>,
// which loopback has not; 15–17 (ROLIE) do not apply to a directory-based
// provider. Requirements 19–20 (OpenPGP signatures and public keys) must
// hold: they are in csafMustHold.
var csafNotOnLoopback = map[int]string{
	10: "DNS path: csaf.data.security.<domain> needs DNS",
	15: "ROLIE feed: directory-based distribution is used",
	16: "ROLIE service document: directory-based distribution is used",
	17: "ROLIE category document: directory-based distribution is used",
}

// csafMustHold are requirements the checker must report on, without
// error: the hashes (18), the OpenPGP signatures (19) and public keys (20).
var csafMustHold = []int{18, 19, 20}

// testCA writes a CA and a server certificate for 127.0.0.1 made in the
// test, and returns the paths of the CA, the certificate and its key.
func testCA(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "accord test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("cert.pem", "CERTIFICATE", leafDER), write("key.pem", "EC PRIVATE KEY", keyDER)
}

// TestCSAFToolsReadProvider runs gocsaf's own csaf_checker and
// csaf_downloader (go run, pinned) against `accord serve --demo
// --csaf-url` over TLS with a CA made in the test: the checker must pass
// every requirement that can hold on loopback, the downloader must fetch
// and validate every advisory. It needs the Go toolchain and the module
// proxy: set ACCORD_TEST_CSAF_TOOLS=1 (CI does).
func TestCSAFToolsReadProvider(t *testing.T) {
	if os.Getenv("ACCORD_TEST_CSAF_TOOLS") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("ACCORD_TEST_CSAF_TOOLS is unset; CI must run gocsaf's tools against the provider")
		}
		t.Skip("set ACCORD_TEST_CSAF_TOOLS=1 to run gocsaf's csaf_checker and csaf_downloader " + csafToolsVersion + " (go run) against the CSAF provider")
	}
	dir := t.TempDir()
	caFile, certFile, keyFile := testCA(t, dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "https://" + addr
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	defer func(f func(*slog.Logger)) { routeTesseraLogs = f }(routeTesseraLogs)
	routeTesseraLogs = func(*slog.Logger) {}
	resetFlags(rootCmd)
	rootCmd.SetOut(&stdout)
	rootCmd.SetErr(&stderr)
	rootCmd.SetArgs([]string{"serve", "--demo", "--data", filepath.Join(dir, "data"), "--addr", addr, "--tls-cert", certFile, "--tls-key", keyFile, "--csaf-url", base})
	defer rootCmd.SetArgs(nil)
	done := make(chan error, 1)
	go func() { done <- rootCmd.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(caFile)
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(stderr.String(), `"accord serving"`); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", stderr.String())
		}
	}
	envFile, _ := os.ReadFile(filepath.Join(dir, "data", demoTokensFile))
	tok := map[string]string{}
	for _, line := range strings.Split(string(envFile), "\n") {
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok {
			tok[k] = v
		}
	}
	call := func(method, path, token string, body []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	call("PUT", "/v1/vendors/globex/key", tok["ACCORD_TOKEN_OPERATOR"], []byte(`{"public_key":"`+base64.StdEncoding.EncodeToString(pub)+`"}`))
	doc, _ := os.ReadFile("../../examples/advisories/acme-2026-001.json")
	env, _ := advisory.Sign(ctx, doc, priv)
	raw, _ := json.Marshal(env)
	call("POST", "/v1/advisories", tok["ACCORD_TOKEN_VENDOR"], raw)

	run := func(tool string, args ...string) {
		t.Helper()
		cmd := exec.Command("go", append([]string{"run", "github.com/gocsaf/csaf/v3/cmd/" + tool + "@" + csafToolsVersion}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+caFile, "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", tool, err, out)
		}
	}
	report := filepath.Join(dir, "checker.json")
	run("csaf_checker", "-f", "json", "-o", report, addr)
	var r struct {
		Domains []struct {
			Passed       bool `json:"passed"`
			Requirements []struct {
				Num         int    `json:"num"`
				Description string `json:"description"`
				Messages    []struct {
					Type int    `json:"type"`
					Text string `json:"text"`
				} `json:"messages"`
			} `json:"requirements"`
		} `json:"domains"`
	}
	b, err := os.ReadFile(report)
	if err != nil || json.Unmarshal(b, &r) != nil || len(r.Domains) != 1 {
		t.Fatalf("checker report: %v\n%s", err, b)
	}
	if !r.Domains[0].Passed {
		t.Errorf("csaf_checker: the provider did not pass")
	}
	seen := map[int]bool{}
	for _, req := range r.Domains[0].Requirements {
		seen[req.Num] = true
		why, excused := csafNotOnLoopback[req.Num]
		for _, m := range req.Messages {
			if m.Type >= 2 && !excused { // 0 info, 1 warning, 2 error
				t.Errorf("csaf_checker requirement %d (%s): %s", req.Num, req.Description, m.Text)
			}
		}
		if excused {
			t.Logf("requirement %d (%s) not required here: %s", req.Num, req.Description, why)
		}
	}
	for _, n := range csafMustHold {
		if !seen[n] {
			t.Errorf("csaf_checker did not check requirement %d", n)
		}
	}
	// The downloader checks the OpenPGP signature (no --ignore_sigcheck)
	// and keeps it beside the advisory.
	out := filepath.Join(dir, "download")
	run("csaf_downloader", "-d", out, addr)
	got, err := os.ReadFile(filepath.Join(out, "white", "2026", "acme-2026-001.json"))
	if err != nil || !bytes.Equal(got, doc) {
		t.Errorf("csaf_downloader did not fetch the advisory as published: %v", err)
	}
	if asc, err := os.ReadFile(filepath.Join(out, "white", "2026", "acme-2026-001.json.asc")); err != nil || !bytes.Contains(asc, []byte("BEGIN PGP SIGNATURE")) {
		t.Errorf("csaf_downloader kept no signature: %v", err)
	}
	// The key was made at the first start, kept 0600, and is on the log.
	fi, err := os.Stat(filepath.Join(dir, "data", "keys", "csaf-openpgp.asc"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("provider key file: %v %v", err, fi)
	}
	if !strings.Contains(stderr.String(), "made the CSAF provider's OpenPGP key") {
		t.Errorf("no log line for the provider key:\n%s", stderr.String())
	}
}
