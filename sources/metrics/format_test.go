package metrics

import (
	"math"
	"strings"
	"testing"
)

func TestFormatValue(t *testing.T) {
	for _, c := range []struct {
		v    float64
		unit string
		want string
	}{
		{2630, "ms", "2,630 ms"},
		{2630.4, "", "2,630"},
		{1234567.8, "req/s", "1,234,568 req/s"},
		{-45210, "", "-45,210"},
		{999.6, "", "1,000"},
		{999.4, "", "999"},
		{100, "ms", "100 ms"},
		{12.345, "ms", "12.3 ms"},
		{0.31, "req/s", "0.31 req/s"},
		{0.3126, "", "0.313"},
		{0.00012, "", "0.00012"},
		{0.0000123456, "", "0.0000123"},
		{97, "%", "97%"},
		{0, "ms", "0 ms"},
		{-0.0001, "", "-0.0001"},
		{math.NaN(), "", "NaN"},
		{math.Inf(1), "ms", "+Inf ms"},
	} {
		got := FormatValue(c.v, c.unit)
		if got != c.want {
			t.Errorf("FormatValue(%v, %q) = %q, want %q", c.v, c.unit, got, c.want)
		}
		if strings.ContainsAny(strings.TrimSuffix(got, " "+c.unit), "eE") && !math.IsNaN(c.v) {
			t.Errorf("FormatValue(%v) = %q uses scientific notation", c.v, got)
		}
	}
}

func FuzzFormatValue(f *testing.F) {
	for _, v := range []float64{2630, 1e21, 1e-30, -0.5, 12.5} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		if got := FormatValue(v, ""); strings.ContainsAny(got, "eE") {
			t.Errorf("FormatValue(%v) = %q uses scientific notation", v, got)
		}
	})
}
