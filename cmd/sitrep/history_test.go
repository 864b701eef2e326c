package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHistoryWindowConfig(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want time.Duration
		err  string
	}{
		{"", 30 * 24 * time.Hour, ""},
		{"history: {window: 7d}\n", 7 * 24 * time.Hour, ""},
		{"history: {window: 72h}\n", 72 * time.Hour, ""},
		{"history: {window: a month}\n", 0, `:1:19: history.window: "a month" is not a window: write it like 30d or 72h`},
		{"history: {window: 400d}\n", 0, ":1:19: history.window: 400d is outside 1h to 180d"},
		{"history: {window: 10m}\n", 0, "history.window: 10m is outside 1h to 180d"},
	} {
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := loadConfig(path, true)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), path+tc.err) && !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: err = %v, want one with %q", tc.yaml, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.yaml, err)
		case tc.err == "" && cfg.historyWindow() != tc.want:
			t.Errorf("%q: window %s, want %s", tc.yaml, cfg.historyWindow(), tc.want)
		}
	}
	if w := (&config{}).historyWindow(); w != 30*24*time.Hour {
		t.Errorf("an unloaded config's window is %s, want 30 days", w)
	}
}
