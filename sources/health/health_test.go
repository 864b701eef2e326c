package health

import (
	"errors"
	"testing"
	"time"
)

func TestText(t *testing.T) {
	at := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		st   Status
		want string
	}{
		{Ok("loki q", at), "ok"},
		{Empty("5xx rate", at.Add(-20*time.Minute), at, ""), "no data since 02:40 UTC"},
		{Empty("5xx rate", at.Add(-26*time.Hour), at, ""), "no data since Nov 28 01:00 UTC"},
		{Empty("file a", time.Time{}, at, "the file is empty"), "no data (the file is empty)"},
		{Failed("git /srv", errors.New("repository gone\x1b[2J"), at), "error: repository gone"},
		{Failed("x", nil, at), "error: failed"},
	}
	for _, tt := range tests {
		if got := tt.st.Text(); got != tt.want {
			t.Errorf("%+v: Text = %q, want %q", tt.st, got, tt.want)
		}
	}
	if got := Failed("git /srv\x07", errors.New("gone"), at).String(); got != "git /srv: error: gone" {
		t.Errorf("String = %q", got)
	}
}

func TestWorst(t *testing.T) {
	at := time.Now()
	if w := Worst(nil); w != OK {
		t.Errorf("Worst(nil) = %v", w)
	}
	if w := Worst([]Status{Ok("a", at), Failed("b", nil, at), Empty("c", at, at, "")}); w != Error {
		t.Errorf("Worst = %v, want error", w)
	}
}
