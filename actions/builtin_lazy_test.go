package actions

import (
	"regexp"
	"testing"
)

// Built-in parameters compile their patterns on first use; each must
// still have one, and match as the pattern says.
func TestBuiltInParamsMatchTheirPatterns(t *testing.T) {
	for _, a := range builtIns() {
		for _, p := range a.Params {
			if p.lazyRE == nil {
				t.Errorf("%s: parameter %s has no matcher for %q", a.Name, p.Name, p.Pattern)
				continue
			}
			want := regexp.MustCompile(`\A(?:` + p.Pattern + `)\z`)
			for _, v := range []string{"PABC123", "P1,P2", "30m", "2h", "restarting the pool", "", "-x", "a\nb", "p1"} {
				if got := p.Match(v); got != want.MatchString(v) {
					t.Errorf("%s: parameter %s: Match(%q) = %v, its pattern %q says %v", a.Name, p.Name, v, got, p.Pattern, !got)
				}
			}
		}
	}
}
