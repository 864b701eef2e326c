package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitrep/store/journal"
)

// TestJournalFileMessages puts an empty file, a directory and a damaged
// file where the journal should be, and checks that every command that
// opens it (the cockpit among them: it opens the journal before the first
// frame) gives the same message, naming the file, what is wrong and the
// command that moves it aside, with no runtime or bbolt text in it.
func TestJournalFileMessages(t *testing.T) {
	cases := []struct {
		name    string
		make    func(t *testing.T, path string)
		problem string
		aside   string
	}{
		{"empty file", func(t *testing.T, path string) { writeBytes(t, path, nil) }, "is empty (0 bytes)", ".empty"},
		{"directory", func(t *testing.T, path string) {
			if err := os.MkdirAll(filepath.Join(path, "inside"), 0o700); err != nil {
				t.Fatal(err)
			}
		}, "is a directory", ".dir"},
		{"damaged header", func(t *testing.T, path string) {
			writeBytes(t, path, bytes.Repeat([]byte("not a journal\n"), 3000))
		}, "is damaged", ".damaged"},
		{"cut short", func(t *testing.T, path string) { writeBytes(t, path, []byte("x")) }, "is damaged", ".damaged"},
		{"damaged pages", func(t *testing.T, path string) {
			j, err := journal.Open(path, journal.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for range 200 {
				if _, err := j.Append(journal.Entry{Incident: "P1", Kind: "note", Summary: strings.Repeat("x", 300)}); err != nil {
					t.Fatal(err)
				}
			}
			j.Close()
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			// Everything past the two meta pages: the tree bbolt walks.
			fi, _ := f.Stat()
			if _, err := f.WriteAt(bytes.Repeat([]byte{0xff}, int(fi.Size())-2*4096), 2*4096); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}, "is damaged", ".damaged"},
	}
	commands := [][]string{
		{},                               // the cockpit
		{"journal", "ls"},                //
		{"journal", "show", "P1"},        //
		{"journal", "verify"},            //
		{"export", "P1"},                 //
		{"run", "x", "--incident", "P1"}, //
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("HOME", dir)
			t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
			t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
			// A PagerDuty nobody answers at: every command must stop at
			// the journal before it would matter.
			t.Setenv("PAGERDUTY_TOKEN", "test-token")
			path := filepath.Join(dir, "data", "sitrep", "journal.db")
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			c.make(t, path)
			var first string
			for _, args := range commands {
				name := "sitrep " + strings.Join(args, " ")
				if len(args) == 0 || args[0] != "journal" { // journal commands take no --api-url
					args = append(args, "--api-url", "http://"+deadAddress(t))
				}
				msg := rootError(t, args...)
				for _, want := range []string{"journal " + path + " " + c.problem, "mv " + path + " " + path + c.aside} {
					if !strings.Contains(msg, want) {
						t.Errorf("%s: %q does not say %q", name, msg, want)
					}
				}
				for _, raw := range []string{"nil pointer", "bad file descriptor", "runtime error", "invalid database", "bbolt", "fault", "panic"} {
					if strings.Contains(msg, raw) {
						t.Errorf("%s: %q shows raw text %q", name, msg, raw)
					}
				}
				if first == "" {
					first = msg
				} else if msg != first {
					t.Errorf("%s says\n%q\nbut the cockpit says\n%q", name, msg, first)
				}
			}
		})
	}
}

// rootError runs the root command and returns its error's text, as main
// prints it.
func rootError(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(""))
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		t.Fatalf("sitrep %s succeeded:\n%s", strings.Join(args, " "), out.String())
	}
	return err.Error()
}

func writeBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
