package tui

import (
	"fmt"
	"strings"
	"testing"

	"sitrep/sources/metrics"
)

// TestThresholdRowIsLabelledWithTheThreshold: the row the dashed threshold
// is drawn on is labelled with the threshold's value (800), not with the
// row's own (1015), at any size and for thresholds anywhere in the range.
func TestThresholdRowIsLabelledWithTheThreshold(t *testing.T) {
	s := NewStyles(true)
	base := fixtureCharts()
	lat := base.Results[1]
	for _, th := range []float64{800, 333, 1234.5, 0.5, 1450} {
		for _, size := range []struct{ w, h int }{{60, 7}, {80, 13}, {120, 25}, {200, 40}} {
			charts := base
			r := lat
			r.Query = metrics.Query{Name: lat.Query.Name, Unit: lat.Query.Unit, Threshold: ptr(th)}
			charts.Results, charts.Errs = []metrics.Result{r}, []error{nil}
			view := renderMetrics(s, charts, paneStart, nil, size.w, size.h, paneNow, 0)
			plot, _ := chartParts(t, view)
			want := chartValue(th)
			found := false
			for _, l := range plot {
				if !strings.ContainsRune(l, thresholdGlyph) {
					continue
				}
				found = true
				if got := strings.TrimSpace(l[:strings.IndexAny(l, "┤┼")]); got != want {
					t.Errorf("threshold %v at %dx%d: its row is labelled %q, want %q\n%s", th, size.w, size.h, got, want, strings.Join(plot, "\n"))
				}
			}
			if !found && th != 1450 { // at the peak, the series covers the line
				t.Errorf("threshold %v at %dx%d: no dashed row\n%s", th, size.w, size.h, strings.Join(plot, "\n"))
			}
			checkFrame(t, fmt.Sprintf("metrics threshold %v", th), size.w, size.h, view)
		}
	}
}

// TestChartValueHasNoExponent: the chart's labels, which a pin keeps, read
// like the notes' numbers.
func TestChartValueHasNoExponent(t *testing.T) {
	for v, want := range map[float64]string{0.000012: "0.000012", -0.00034: "-0.00034", 0.0123: "0.0123", 0.312: "0.312", 12.34: "12.3", 1234: "1234", 45600: "45.6k"} {
		if got := chartValue(v); got != want {
			t.Errorf("chartValue(%v) = %q, want %q", v, got, want)
		}
	}
}
