package deploys

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestLikelyCause(t *testing.T) {
	start := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	ch := func(id string, offset time.Duration) Change {
		return Change{ID: id, Source: "git", Summary: id, At: start.Add(offset)}
	}
	undated := Change{ID: "undated", Source: "command", Summary: "no time"}
	tests := []struct {
		name    string
		changes []Change
		window  time.Duration
		want    string // id:likely:offset, in order
	}{
		{
			name:    "inside window flagged nearest first, after listed, older last",
			changes: []Change{ch("old", -3*time.Hour), ch("m30", -30*time.Minute), ch("after10", 10*time.Minute), ch("m5", -5*time.Minute), ch("after2", 2*time.Minute), undated},
			window:  time.Hour,
			want:    "m5:true:-5m0s m30:true:-30m0s after2:false:2m0s after10:false:10m0s old:false:-3h0m0s undated:false:0s",
		},
		{
			name:    "exactly at start and at the window's edge are flagged",
			changes: []Change{ch("edge", -time.Hour), ch("at", 0), ch("past-edge", -time.Hour-time.Second)},
			window:  time.Hour,
			want:    "at:true:0s edge:true:-1h0m0s past-edge:false:-1h0m1s",
		},
		{
			name:    "no window flags nothing",
			changes: []Change{ch("a", -time.Minute)},
			window:  0,
			want:    "a:false:-1m0s",
		},
		{
			name:    "duplicates kept once",
			changes: []Change{ch("a", -time.Minute), ch("a", -time.Minute), {ID: "a", Source: "pagerduty", At: start.Add(-2 * time.Minute)}},
			window:  time.Hour,
			want:    "a:true:-1m0s a:true:-2m0s",
		},
		{name: "nothing", changes: nil, window: time.Hour, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range LikelyCause(tt.changes, start, tt.window) {
				got = append(got, fmt.Sprintf("%s:%v:%v", f.ID, f.Likely, f.Offset))
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("LikelyCause =\n  %s\nwant\n  %s", g, tt.want)
			}
		})
	}
}
