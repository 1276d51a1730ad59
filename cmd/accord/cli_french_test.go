package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCLISpeaksFrench runs commands of the log, data directory, token,
// packs, registry and demo with ACCORD_LANG=fr: what they print and the
// errors they end with are French, with French typography and counts that
// agree, and no message printed fell back to English for want of a
// translation.
func TestCLISpeaksFrench(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d")
	nodata := filepath.Join(dir, "nodata")
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		want    []string // in the output or the error
		notWant []string // English that must not show
	}{
		{"packs list", []string{"packs", "list"}, exitOK,
			[]string{"NOM", "RÈGLES", "PARAMÈTRES", "TITRE"}, []string{"RULES", "TITLE"}},
		{"packs test", []string{"packs", "test"}, exitOK,
			[]string{"couverture par disposition (déclenchée :", "paquet", "disposition", "échoués : 0"}, []string{"passed", "coverage by"}},
		{"registry list authorities", []string{"registry", "list", "authorities"}, exitOK,
			[]string{"ÉTAT", "RÔLE", "CLÉ", "NOM", "(exemple)"}, []string{"STATE", "(example)"}},
		{"demo", []string{"demo", "--data", data}, exitOK,
			[]string{"décisions journalisées dans " + filepath.Join(data, "log"), "vérifiez-les avec : accord log verify"}, []string{"decisions logged"}},
		{"log verify", []string{"log", "verify", "--data", data}, exitOK,
			[]string{"journal accord.example/demo vérifié : ", " entrées, racine ", "point de contrôle signé valide"}, []string{"verified:"}},
		{"log checkpoint", []string{"log", "checkpoint", "--data", data, "-o", filepath.Join(dir, "cp.txt")}, exitOK,
			[]string{"point de contrôle de accord.example/demo à la taille ", " enregistré dans " + filepath.Join(dir, "cp.txt")}, []string{"saved to"}},
		{"log consistency", []string{"log", "consistency", "--data", data, filepath.Join(dir, "cp.txt"), filepath.Join(data, "log", "checkpoint")}, exitOK,
			[]string{"cohérent : accord.example/demo est passé de ", " entrées sans en réécrire aucune", "preuve (0 empreinte) :"}, []string{"grew from", "hashes"}},
		{"no data directory", []string{"log", "key", "--data", nodata}, exitBadInput,
			[]string{"--data " + nodata + " ne contient aucune donnée Accord (ni accord.db, ni log/) : vérifiez le chemin"}, []string{"holds no Accord data"}},
		{"a log without its database", []string{"token", "list", "--data", data}, exitBadInput,
			[]string{data + " contient un journal de ", " entrées (log/) mais pas de base de données (accord.db) : restaurez"}, []string{"but no database"}},
		{"a missing flag", []string{"token", "create", "--api-role", "auditor", "--data", data}, exitBadInput,
			[]string{"--principal est obligatoire"}, []string{"is required"}},
		{"a bad format", []string{"registry", "list", "blocs", "--format", "yaml"}, exitBadInput,
			[]string{`--format : "yaml" n'est ni text ni json`}, []string{"is not text"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errText, code := runIn(t, "fr", tc.args...)
			got := out + errText
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, got)
			}
			if tc.code != exitOK && errText == "" {
				t.Errorf("no error, want one\n%s", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("output has English %q\n%s", w, got)
				}
			}
		})
	}
	t.Setenv("ACCORD_LANG", "fr")
	if m := userPrinter().Missing(); len(m) > 0 {
		t.Errorf("printed in English for want of a French translation: %q", m)
	}
}
