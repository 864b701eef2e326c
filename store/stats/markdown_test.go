package stats

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/store/postmortem/mdlint"
)

// hostileFixture is the fixture with names a hostile journal could hold.
func hostileFixture() *script {
	s := fixture()
	evil := "x | y *bold* <script>alert(1)</script> [link](https://evil.example) \x1b]0;owned\x07 # heading"
	s.seen("EVIL", evil, t0)
	for i := range 3 {
		id := "EVIL" + string(rune('A'+i))
		s.seen(id, evil, t0)
		s.tick(id, evil, "- "+evil, true, t0)
		s.note(id, "1. "+evil, t0)
		s.runAction(id, "act_"+evil, evil, t0, actions.StepFinished, "worse", 10, actions.MetricChange{Name: evil, Before: 1, After: 2})
	}
	return s
}

func TestMarkdownlint(t *testing.T) {
	until := t0.Add(30 * 24 * time.Hour)
	docs := map[string]string{}
	for name, s := range map[string]*script{"fixture": fixture(), "hostile": hostileFixture(), "empty": {}} {
		rep, err := Compute(s.seq(), Options{Since: t0.Add(-time.Hour), Until: until})
		if err != nil {
			t.Fatal(err)
		}
		docs[name+".md"] = Markdown(rep)
	}
	mdlint.Check(t, docs)
}

func TestMarkdownSaysWhatTheFiguresSay(t *testing.T) {
	rep, err := Compute(fixture().seq(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := Markdown(rep)
	for _, want := range []string{
		"| flush\\_cache | 5 | 5 | 2 | 1 | 1 | 0 | rate\\_limit 2 | 0 | 1 | 1 | 3 | 400ms |",
		"| restart\\_service | 5 | 5 | 0 | 0 | 0 | 0 | refuse\\_resolved 1 | 5 | 0 | 0 | 0 | 3s |",
		"| payment-gateway | 5 | deploy regression 4 | 5m0s | 25m0s | restart\\_service 5 |",
		"- runbook step: Check the load balancer's health page (Payments 5xx) — ticked by\n  hand in 4 incidents (suggested from 3)",
		"restart\\_service: 5xx rate 0.45 → 0.01 (median of 4 runs)",
		"flush\\_cache: on DB1 (checkout-db) at 2026-11-01 09:05 UTC",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("markdown lacks %q:\n%s", want, got)
		}
	}
	hostile, _ := Compute(hostileFixture().seq(), Options{})
	h := Markdown(hostile)
	for _, bad := range []*regexp.Regexp{regexp.MustCompile("\x1b|\x07"), regexp.MustCompile(`[^\\]<script`),
		regexp.MustCompile(`[^\\]\]\(https`), regexp.MustCompile(`[^\\]\| y`), regexp.MustCompile(`[^\\]\*bold`)} {
		if bad.MatchString(h) {
			t.Errorf("hostile markdown holds %q:\n%s", bad, h)
		}
	}
}
