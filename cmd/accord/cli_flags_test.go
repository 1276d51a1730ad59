package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenRoleFlags checks token create's names: --api-role is what the
// token may do, --principal-role what the principal does; the old --role
// still works and says to use --api-role; the revoke hint names the data
// directory so that it works as printed.
func TestTokenRoleFlags(t *testing.T) {
	dir := newWorld(t)
	out, code := runAccord(t, "token", "create", "--data", dir, "--principal", "acme", "--api-role", "requester",
		"--kind", "company", "--jurisdiction", "FR", "--principal-role", "vendor")
	if code != exitOK || !strings.Contains(out, "API role requester") || !strings.Contains(out, "Revoke it with: accord token revoke --data "+dir+" tok-") {
		t.Fatalf("create with --api-role: exit %d\n%s", code, out)
	}
	out, code = runAccord(t, "token", "create", "--data", dir, "--principal", "acme", "--role", "auditor")
	if code != exitOK || !strings.Contains(out, "API role auditor") || !strings.Contains(out, "Flag --role has been deprecated, use --api-role instead") {
		t.Fatalf("create with the old --role: exit %d\n%s", code, out)
	}
	// Completion offers the registered principals and the live tokens.
	wireCompletions(rootCmd)
	if out, _ := runAccord(t, "__complete", "token", "create", "--data", dir, "--principal", ""); !strings.Contains(out, "acme\tcompany, FR") {
		t.Errorf("principal completion:\n%s", out)
	}
	if out, _ := runAccord(t, "__complete", "token", "revoke", "--data", dir, ""); !strings.Contains(out, "tok-") || !strings.Contains(out, "acme, auditor") {
		t.Errorf("token completion:\n%s", out)
	}
	out, code = runAccord(t, "token", "create", "--data", dir, "--principal", "acme", "--api-role", "law-enforcement")
	if code != exitBadInput || !strings.Contains(out, `--api-role "law-enforcement"`) || !strings.Contains(out, "goes in --principal-role") {
		t.Fatalf("a principal role given as the API role: exit %d\n%s", code, out)
	}
}

// TestMaskPassword checks the --db hint never echoes a password.
func TestMaskPassword(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://accord:s3cret@db:5432/accord?sslmode=disable": "postgres://accord:xxxxx@db:5432/accord?sslmode=disable",
		"postgres://accord@db/accord":                             "postgres://accord@db/accord",
	} {
		if got := maskPassword(in); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("maskPassword(%q) = %q, want %q", in, got, want)
		}
	}
}

// firstStartOrigin is the --origin a test passes to serve when dir has no
// log yet (the first start must name the log), and nothing after.
func firstStartOrigin(dir string) []string {
	if _, err := os.Stat(filepath.Join(dir, "log")); os.IsNotExist(err) {
		return []string{"--origin", "accord.test/world"}
	}
	return nil
}

// TestServeFirstStartNeedsOrigin checks that a first start without
// --origin is refused before anything is created, and that a first start
// with it creates the log under that name and says so.
func TestServeFirstStartNeedsOrigin(t *testing.T) {
	dir := t.TempDir()
	out, code := runAccord(t, "serve", "--data", dir, "--addr", "127.0.0.1:0")
	if code != exitBadInput || !strings.Contains(out, "--origin: this first start creates the transparency log") {
		t.Fatalf("first start without --origin: exit %d\n%s", code, out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a refused first start left %d files in %s", len(entries), dir)
	}
	if _, code := serveOnce(t, dir); code != exitOK {
		t.Fatalf("first start with --origin: exit %d", code)
	}
	vkey, err := os.ReadFile(filepath.Join(dir, "keys", "log.pub"))
	if err != nil || !strings.HasPrefix(string(vkey), "accord.test/world+") {
		t.Fatalf("log key %q (%v), want the origin given", vkey, err)
	}
	// Later starts need no --origin.
	if _, code := serveOnce(t, dir); code != exitOK {
		t.Fatalf("second start without --origin: exit %d", code)
	}
}
