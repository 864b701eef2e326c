package metrics

import (
	"math"
	"strconv"
	"strings"
)

// FormatValue writes a metric value for a person to read in a note, a
// journal entry or an export: plain decimals with thousands separated, three
// significant digits below a thousand, never scientific notation
// ("2,630 ms", "0.312 req/s", "0.00012"), and the unit after a space
// unless it is "%". The chart's compact axis labels are drawn elsewhere.
func FormatValue(v float64, unit string) string {
	s := formatNumber(v)
	switch unit {
	case "":
		return s
	case "%":
		return s + "%"
	}
	return s + " " + unit
}

// formatNumber is FormatValue's figure without its unit.
func formatNumber(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == 0:
		return "0"
	}
	a := math.Abs(v)
	if a >= 999.5 {
		return groupThousands(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	}
	// Three significant digits: as many decimals as the first digit's
	// place leaves, trailing zeros dropped.
	decimals := max(0, 2-int(math.Floor(math.Log10(a))))
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// groupThousands puts a comma between each group of three digits of an
// integer written in decimal.
func groupThousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	if len(s) <= 3 {
		return sign + s
	}
	var b strings.Builder
	b.WriteString(sign)
	head := len(s) % 3
	if head > 0 {
		b.WriteString(s[:head])
	}
	for i := head; i < len(s); i += 3 {
		if b.Len() > len(sign) {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}
