package sanitize

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestSecretsRedactValues(t *testing.T) {
	s := &Secrets{}
	s.Add("u+MJ2xk9Zp_short")
	s.Add("u+MJ2xk9Zp_short-and-longer")
	s.Add("abc") // too short to hide usefully
	tests := []struct{ in, want string }{
		{"token u+MJ2xk9Zp_short here", "token *** here"},
		{"whole u+MJ2xk9Zp_short-and-longer, not half", "whole ***, not half"},
		{"quoted in a URL: ?t=u%2BMJ2xk9Zp_short", "quoted in a URL: ?t=***"},
		{"abc stays", "abc stays"},
	}
	for _, tt := range tests {
		if got := s.RedactValues(tt.in); got != tt.want {
			t.Errorf("RedactValues(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	var none *Secrets
	if got := none.RedactValues("plain"); got != "plain" {
		t.Errorf("nil set changed text: %q", got)
	}
	none.Add("ignored") // must not panic
}

func TestSecretsInherit(t *testing.T) {
	root := &Secrets{}
	root.Add("root-secret-1")
	child := &Secrets{}
	child.Inherit(root)
	child.Add("plan-only-value")
	// Learnt after the child was made: the child still hides it.
	root.Add("later-secret")
	if got := child.RedactValues("root-secret-1 plan-only-value later-secret"); got != "*** *** ***" {
		t.Errorf("child: %q", got)
	}
	if got := root.RedactValues("plan-only-value"); got != "plan-only-value" {
		t.Errorf("a child's value leaked into its parent's set: %q", got)
	}
	child.Root().Add("shared-by-child")
	if got := root.RedactValues("shared-by-child"); got != Mask {
		t.Errorf("Root().Add did not reach the root: %q", got)
	}
	// Longest first across the chain: the child's longer value goes whole.
	child.Add("root-secret-1-extended")
	if got := child.RedactValues("root-secret-1-extended"); got != Mask {
		t.Errorf("longest first across sets: %q", got)
	}
}

func TestSecretsErrorIsOneCleanLine(t *testing.T) {
	s := &Secrets{}
	s.Add("pd-token-123456")
	err := errors.New("list incidents: PagerDuty answered 500 echo: Authorization: Token token=pd-token-\x1b[0m123456\n\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07rest")
	got := s.Error(err)
	if strings.ContainsAny(got, "\x1b\x07\n") || strings.Contains(got, "pd-token") || strings.Contains(got, "123456") {
		t.Errorf("Error() = %q: want one line, no control characters, no token", got)
	}
	if !strings.HasPrefix(got, "list incidents: PagerDuty answered 500") {
		t.Errorf("Error() = %q lost the message", got)
	}
	if s.Error(nil) != "" {
		t.Error("a nil error is not empty text")
	}
}

func TestSecretsQuote(t *testing.T) {
	s := &Secrets{}
	s.Add("hunter2-token")
	got := s.Quote("\n  \x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07vault: sealed, token hunter2-token refused\nsecond line", 30)
	if strings.ContainsAny(got, "\x1b\x07") || strings.Contains(got, "hunter2") || strings.Contains(got, "second") {
		t.Errorf("Quote = %q", got)
	}
	if !strings.HasPrefix(got, "vault: sealed") || len(got) > 30+len("…") {
		t.Errorf("Quote = %q: want the first line, cut to 30 bytes", got)
	}
}

func TestSecretsConcurrent(t *testing.T) {
	s := &Secrets{}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); s.Add("secret-value-" + strings.Repeat("x", i)) }()
		go func() { defer wg.Done(); _ = s.Redact("secret-value-xxx") }()
	}
	wg.Wait()
	if got := s.RedactValues("secret-value-xxxxxxx"); got != Mask {
		t.Errorf("got %q", got)
	}
}

// BenchmarkRedactValuesFrame is the cost the cockpit adds to every frame:
// a full 120×40 screen of styled text checked for five known secrets.
func BenchmarkRedactValuesFrame(b *testing.B) {
	s := &Secrets{}
	for _, v := range []string{"pd-token-0123456789", "prom-bearer-abcdef", "loki-bearer-123456", "https://hooks.slack.com/services/T0/B0/xyz", "hdr-value-9999"} {
		s.Add(v)
	}
	row := "\x1b[1m#1042\x1b[0m  \x1b[31mtriggered\x1b[0m  payment-gateway error rate above threshold  Alice Chen  3m\n"
	frame := strings.Repeat(row[:min(len(row), 120)], 40)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		_ = s.RedactValues(frame)
	}
}
