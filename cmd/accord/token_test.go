package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/sqlite"
)

// runAccord runs one command line in-process in English and returns its
// output followed by its error, and the exit code.
func runAccord(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, errText, code := runIn(t, "en", args...)
	return out + errText, code
}

// runIn runs one command line in-process, as run does, for a user whose
// environment names lang (ACCORD_LANG=lang): it returns what the command
// printed, its error as main prints it in that language ("" when main
// prints none), and the exit code.
func runIn(t *testing.T, lang string, args ...string) (out, errText string, code int) {
	t.Helper()
	t.Setenv("ACCORD_LANG", lang)
	var buf bytes.Buffer
	rootCmd.SetOut(&buf)
	rootCmd.SetErr(&buf)
	rootCmd.SetArgs(args)
	resetFlags(rootCmd)
	defer rootCmd.SetArgs(nil)
	shown, code := exitStatus(commandLineError(rootCmd.ExecuteContext(context.Background())))
	return buf.String(), locale.Text(userPrinter(), shown), code
}

// resetFlags puts every flag of cmd and its subcommands back to its
// default, and forgets the context of the last execution, since cobra keeps
// both between executions in one process.
func resetFlags(cmd *cobra.Command) {
	cmd.SetContext(nil) // nil: take the parent's at the next execution
	reset := func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			sv.Replace(nil)
		} else {
			f.Value.Set(f.DefValue)
		}
		f.Changed = false
	}
	cmd.Flags().VisitAll(reset)
	cmd.PersistentFlags().VisitAll(reset)
	for _, c := range cmd.Commands() {
		resetFlags(c)
	}
}

func TestTokenCommands(t *testing.T) {
	dir := newWorld(t)
	out, code := runAccord(t, "token", "create", "--data", dir, "--principal", "acme", "--api-role", "requester",
		"--kind", "company", "--jurisdiction", "FR", "--may-act-for", "dgsi", "--owner", "CN=51", "--owner", "FR=49", "--ciio", "--format", "json")
	if code != exitOK {
		t.Fatalf("create: exit %d: %s", code, out)
	}
	var created struct {
		ID      string    `json:"id"`
		Token   string    `json:"token"`
		Expires time.Time `json:"expires"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || !strings.HasPrefix(created.Token, "accord_") {
		t.Fatalf("create output %q: %v", out, err)
	}
	if d := time.Until(created.Expires); d < 719*time.Hour || d > 721*time.Hour {
		t.Errorf("default expiry in %s, want 720h", d)
	}

	// The token authenticates as the registered principal.
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "accord.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, p, err := store.Authenticate(ctx, st, created.Token, time.Now())
	st.Close()
	if err != nil || p.Jurisdiction != "FR" || !p.MayActForID("dgsi") || p.Attributes.Owners["CN"] != 51 || !p.Attributes.CIIO {
		t.Fatalf("authenticate: %+v, %v", p, err)
	}

	if out, code := runAccord(t, "token", "list", "--data", dir); code != exitOK || !strings.Contains(out, created.ID) || !strings.Contains(out, "active") || strings.Contains(out, created.Token) {
		t.Errorf("list: exit %d: %s", code, out)
	}
	if out, code := runAccord(t, "token", "revoke", "--data", dir, created.ID); code != exitOK || !strings.Contains(out, "revoked "+created.ID) {
		t.Errorf("revoke: exit %d: %s", code, out)
	}
	if out, _ := runAccord(t, "token", "list", "--data", dir, "--principal", "acme"); !strings.Contains(out, "revoked") {
		t.Errorf("list after revoke: %s", out)
	}

	bad := []struct {
		name string
		args []string
		want string
	}{
		{"unknown role", []string{"--principal", "acme", "--api-role", "root"}, "--api-role"},
		{"no principal", []string{"--api-role", "admin"}, "--principal is required"},
		{"unregistered principal", []string{"--principal", "ghost", "--api-role", "admin"}, "give --kind and --jurisdiction"},
		{"bad kind", []string{"--principal", "x", "--api-role", "admin", "--kind", "robot", "--jurisdiction", "FR"}, "--kind"},
		{"bad jurisdiction", []string{"--principal", "x", "--api-role", "admin", "--kind", "company", "--jurisdiction", "france"}, "--jurisdiction"},
		{"negative lifetime", []string{"--principal", "acme", "--api-role", "admin", "--expires", "-1h"}, "--expires"},
		{"bad owner", []string{"--principal", "acme", "--api-role", "admin", "--owner", "CN=151"}, "--owner"},
		{"bad headquarters", []string{"--principal", "acme", "--api-role", "admin", "--headquarters", "Brussels"}, "--headquarters"},
	}
	for _, b := range bad {
		out, code := runAccord(t, append([]string{"token", "create", "--data", dir}, b.args...)...)
		if code != exitBadInput || !strings.Contains(out, b.want) {
			t.Errorf("%s: exit %d %q, want 2 mentioning %q", b.name, code, out, b.want)
		}
	}
	if out, code := runAccord(t, "token", "revoke", "--data", dir, "tok-nope"); code != exitBadInput {
		t.Errorf("revoke unknown: exit %d: %s", code, out)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://accord:s3cret@db.internal:5432/accord?sslmode=require": "postgres://db.internal:5432",
		"postgres://db/accord": "postgres://db",
		"nonsense":             "(unparsed)",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
