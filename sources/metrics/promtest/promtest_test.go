package promtest_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"sitrep/sources/metrics/promtest"
)

func TestOpenMetrics(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		series  []promtest.Series
		want    string
		wantErr string
	}{
		{
			name: "families sorted, labels escaped, special values, EOF",
			series: []promtest.Series{
				{Metric: "z_up", Samples: []promtest.Sample{{T: t0, V: 1}}},
				{Metric: "a_rate", Labels: map[string]string{"svc": `pay"gw`, "env": "a\\b\nc"}, Samples: []promtest.Sample{
					{T: t0, V: 0.31}, {T: t0.Add(1500 * time.Millisecond), V: math.NaN()}, {T: t0.Add(3 * time.Second), V: math.Inf(-1)},
				}},
				{Metric: "a_rate", Labels: map[string]string{"svc": "x"}, Samples: []promtest.Sample{{T: t0, V: 1e-9}}},
			},
			want: "# TYPE a_rate gauge\n" +
				`a_rate{env="a\\b\nc",svc="pay\"gw"} 0.31 1795910400` + "\n" +
				`a_rate{env="a\\b\nc",svc="pay\"gw"} NaN 1795910401.5` + "\n" +
				`a_rate{env="a\\b\nc",svc="pay\"gw"} -Inf 1795910403` + "\n" +
				`a_rate{svc="x"} 1e-09 1795910400` + "\n" +
				"# TYPE z_up gauge\nz_up 1 1795910400\n# EOF\n",
		},
		{name: "nothing", want: "# EOF\n"},
		{name: "bad metric name", series: []promtest.Series{{Metric: "5xx"}}, wantErr: `metric name "5xx"`},
		{name: "reserved label", series: []promtest.Series{{Metric: "m", Labels: map[string]string{"__name__": "x"}}}, wantErr: `label name "__name__"`},
		{name: "samples out of order", series: []promtest.Series{{Metric: "m", Samples: []promtest.Sample{{T: t0.Add(time.Second)}, {T: t0}}}}, wantErr: "not in time order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := promtest.OpenMetrics(tt.series)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestNewSpikeFitsOneOldBlock(t *testing.T) {
	now := time.Date(2026, 11, 29, 3, 41, 0, 0, time.UTC)
	sp := promtest.NewSpike(now)
	s := sp.Series.Samples
	first, last := s[0].T, s[len(s)-1].T
	if first.Truncate(2*time.Hour) != last.Truncate(2*time.Hour) {
		t.Errorf("samples %s–%s cross a block boundary", first, last)
	}
	if now.Sub(last) < 2*time.Hour {
		t.Errorf("last sample %s is within two hours of now", last)
	}
	high := 0
	for _, smp := range s {
		if smp.V >= promtest.SpikeHigh {
			high++
		}
	}
	if high != 60 {
		t.Errorf("%d spike samples, want 60", high)
	}
}

// recorder stands in for a test to see whether Start skips or fails.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()           {}
func (r *recorder) Skip(args ...any)  { r.skipped = fmt.Sprint(args...); runtime.Goexit() }
func (r *recorder) Fatal(args ...any) { r.failed = fmt.Sprint(args...); runtime.Goexit() }
func (r *recorder) Fatalf(f string, args ...any) {
	r.failed = fmt.Sprintf(f, args...)
	runtime.Goexit()
}
func (r *recorder) Skipf(f string, args ...any) {
	r.skipped = fmt.Sprintf(f, args...)
	runtime.Goexit()
}

func TestMissingBinaries(t *testing.T) {
	tests := []struct {
		ci       string
		wantSkip bool
	}{
		{"", true},
		{"false", true},
		{"true", false},
	}
	for _, tt := range tests {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir())
			t.Setenv("CI", tt.ci)
			r := &recorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				promtest.Start(r)
			}()
			<-done
			msg := r.failed
			if tt.wantSkip {
				msg = r.skipped
			}
			if !strings.Contains(msg, promtest.InstallHint) || !strings.Contains(msg, "prometheus and promtool not on PATH") {
				t.Errorf("skipped %q failed %q, want the install command in the %s", r.skipped, r.failed, map[bool]string{true: "skip", false: "failure"}[tt.wantSkip])
			}
		})
	}
}

func TestServerStopsWithItsTest(t *testing.T) {
	var url string
	t.Run("server", func(t *testing.T) {
		srv := promtest.Start(t)
		url = srv.URL
		if status := ready(url); status != http.StatusOK {
			t.Fatalf("/-/ready = %d", status)
		}
	})
	if url == "" {
		t.Skip("no server was started")
	}
	if status := ready(url); status != 0 {
		t.Errorf("after its test the server still answers: %d", status)
	}
}

func ready(base string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/-/ready", nil)
	if err != nil {
		return -1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
