package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

// exportWorld is a journal that has seen one incident, and a HOME with no
// config or token, so that export works from the journal alone.
func exportWorld(t *testing.T) (journalPath, id string) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	t.Setenv("PAGERDUTY_TOKEN", "")
	journalPath = filepath.Join(home, "journal.db")
	j, err := journal.Open(journalPath, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id = "PEXPORT1"
	seen, _ := json.Marshal(pagerduty.Incident{ID: id, Number: 7, Title: "Checkout latency", Status: "resolved", Urgency: "high"})
	if _, err := j.Append(journal.Entry{Incident: id, Kind: "seen", Actor: journal.ActorSitrep, Summary: "seen", Data: seen}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return journalPath, id
}

func TestExportToFile(t *testing.T) {
	jp, id := exportWorld(t)
	file := filepath.Join(t.TempDir(), "pm.md")
	out, err := runRoot(t, "export", id, "-o", file, "--journal", jp)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the export was created %v, want 0600", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(file); !strings.Contains(string(b), "Checkout latency") {
		t.Errorf("the export lacks the incident:\n%s", b)
	}
}

func TestExportRefusesToOverwrite(t *testing.T) {
	jp, id := exportWorld(t)
	file := filepath.Join(t.TempDir(), "pm.md")
	if err := os.WriteFile(file, []byte("the team's own notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runRoot(t, "export", id, "-o", file, "--journal", jp)
	if err == nil {
		t.Fatalf("export overwrote %s:\n%s", file, out)
	}
	if msg := err.Error(); !strings.Contains(msg, file) || !strings.Contains(msg, "--force") || !strings.Contains(msg, "another path") {
		t.Errorf("the refusal does not name the file and the fix: %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "the team's own notes\n" {
		t.Errorf("the existing file changed: %q", b)
	}

	// --force replaces it, and the replacement is the owner's alone.
	if out, err := runRoot(t, "export", id, "-o", file, "--force", "--journal", jp); err != nil {
		t.Fatalf("export --force: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(file)
	fi, _ := os.Stat(file)
	if !strings.Contains(string(b), "Checkout latency") || strings.Contains(string(b), "own notes") {
		t.Errorf("--force did not replace the file:\n%s", b)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the replaced export is %v, want 0600", fi.Mode().Perm())
	}
}

func TestExportNeverFollowsASymlink(t *testing.T) {
	jp, id := exportWorld(t)
	dir := t.TempDir()
	target := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(target, []byte("ssh-ed25519 AAAA keep\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "pm.md")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling.md")
	if err := os.Symlink(filepath.Join(dir, "created-through-link"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{link, dangling} {
		for _, force := range []bool{false, true} {
			args := []string{"export", id, "-o", file, "--journal", jp}
			if force {
				args = append(args, "--force")
			}
			out, err := runRoot(t, args...)
			if err == nil {
				t.Fatalf("export -o %s (force %v) wrote through a symbolic link:\n%s", file, force, out)
			}
			if msg := err.Error(); !strings.Contains(msg, file) || !strings.Contains(msg, "symbolic link") || !strings.Contains(msg, "another path") {
				t.Errorf("force %v: the refusal does not name the file, the link and the fix: %v", force, err)
			}
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "ssh-ed25519 AAAA keep\n" {
		t.Errorf("the link's target changed: %q", b)
	}
	if _, err := os.Lstat(filepath.Join(dir, "created-through-link")); !os.IsNotExist(err) {
		t.Errorf("a dangling link's target was created: %v", err)
	}
}

func TestExportRefusesWhatIsNotAFile(t *testing.T) {
	jp, id := exportWorld(t)
	dir := t.TempDir()
	sub := filepath.Join(dir, "notes")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	// A second name for a file: overwriting one would change the other.
	other := filepath.Join(dir, "other.md")
	if err := os.WriteFile(other, []byte("keep\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.md")
	if err := os.Link(other, hard); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{sub, hard} {
		_, err := runRoot(t, "export", id, "-o", file, "--force", "--journal", jp)
		if err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "not a plain file") {
			t.Errorf("export -o %s --force: err = %v, want a refusal naming it", file, err)
		}
	}
	if b, _ := os.ReadFile(other); string(b) != "keep\n" {
		t.Errorf("the hard-linked file changed: %q", b)
	}
}
