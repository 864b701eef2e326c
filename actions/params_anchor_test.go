package actions

import "testing"

// A pattern that only parses once wrapped ("a)|(b") would escape the
// anchors and accept anything after an "a"; it must be refused.
func TestPatternsStayAnchored(t *testing.T) {
	for _, p := range []string{"a)|(b", "[a-z", "(x"} {
		if _, err := compileAnchored(p); err == nil {
			t.Errorf("pattern %q compiled", p)
		}
	}
	re, err := compileAnchored("[a-z-]+")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"payment-gateway; rm -rf /", "x\ny", ""} {
		if re.MatchString(v) {
			t.Errorf("%q matched an anchored pattern", v)
		}
	}
}
