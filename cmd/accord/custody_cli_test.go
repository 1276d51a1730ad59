package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCustodyCLIBadInput: each bad input exits 2 naming the flag, file or
// byte, and writes nothing.
func TestCustodyCLIBadInput(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "c.key")
	out, code := runAccord(t, "custodian", "keygen", "-o", key)
	if code != exitOK || len(strings.TrimSpace(out)) != 44 {
		t.Fatalf("keygen: %d %q", code, out)
	}
	pub := strings.TrimSpace(out)
	plain := filepath.Join(dir, "in.csv")
	os.WriteFile(plain, []byte("a,b\n"), 0o644)
	labels := filepath.Join(dir, "labels.json")
	os.WriteFile(labels, []byte(`{"location":"FR"}`), 0o644)
	sealed := filepath.Join(dir, "out.sealed")
	serverDir := filepath.Join(dir, "server")
	os.MkdirAll(filepath.Join(serverDir, "log"), 0o700)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"keygen over a key", []string{"custodian", "keygen", "-o", key}, "exists; pass --force"},
		{"seal without labels", []string{"seal", "--dataset", "d", plain, "-o", sealed, "-k", "1", "--custodian", "fr=http://x," + pub}, "--server URL (its catalog) or --labels FILE"},
		{"seal with a bad key", []string{"seal", "--dataset", "d", plain, "-o", sealed, "-k", "1", "--labels", labels, "--custodian", "fr=http://x,AAAA"}, "--custodian fr: public key"},
		{"seal k above n", []string{"seal", "--dataset", "d", plain, "-o", sealed, "-k", "2", "--labels", labels, "--custodian", "fr=http://x," + pub}, "k=2"},
		{"seal empty labels", []string{"seal", "--dataset", "d", plain, "-o", sealed, "-k", "1", "--labels", os.DevNull, "--custodian", "fr=http://x," + pub}, "labels"},
		{"serve without log", []string{"custodian", "serve", "--key", key}, "--key, --log and --log-key are required"},
		{"custodian in a server's data directory", []string{"custodian", "serve", "--data", serverDir, "--key", key, "--log", serverDir, "--log-key", "x+1+AAAA"}, "give the custodian a directory of its own"},
		{"open without key", []string{"open", sealed, "--decision", "x", "--server", "http://127.0.0.1:1", "-o", filepath.Join(dir, "x")}, "--decision, --server, --key and -o are required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, code := runAccord(t, c.args...)
			if code != exitBadInput || !strings.Contains(out, c.want) {
				t.Fatalf("exit %d, %q; want 2 and %q", code, out, c.want)
			}
			if _, err := os.Stat(sealed); err == nil {
				t.Fatal("a sealed file was written")
			}
		})
	}
	// A good seal, then its header parses and names what was asked.
	if out, code := runAccord(t, "seal", "--dataset", "d", plain, "-o", sealed, "-k", "1", "--labels", labels, "--custodian", "fr=http://x,"+pub); code != exitOK {
		t.Fatalf("seal: %d %s", code, out)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".out.sealed.*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}
