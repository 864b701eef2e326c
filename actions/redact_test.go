package actions

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	r := &Redactor{}
	r.Add("hunter2-known-secret")
	r.Add("abc") // too short to hide
	tests := []struct {
		in, want string
	}{
		{"password is hunter2-known-secret ok", "password is *** ok"},
		{"Authorization: Bearer abc.def.ghi", "Authorization: ***"},
		{"curl -H 'authorization: token xyz'", "curl -H 'authorization: ***"},
		{"got Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "got Bearer ***"},
		{"https://x/api?token=abcd1234&page=2", "https://x/api?token=***&page=2"},
		{"API_KEY=sk_live_123 next", "API_KEY=*** next"},
		{`{"client_secret": "s3cr3t"}`, `{"client_secret": "***"}`},
		{"key AKIAIOSFODNN7EXAMPLE here", "key *** here"},
		{"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = ***"},
		{"ghp_0123456789abcdefghijABCDEFGHIJ0123456789", "***"},
		{"sha256 " + strings.Repeat("ab12", 16), "sha256 ***"},
		{"blob dGhpcyBpcyBhIHNlY3JldCBrZXkgZm9yIHRlc3RzMTIz end", "blob *** end"},
		{"commit 1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d deployed", "commit 1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d deployed"},
		{"/var/lib/some/long/path/that/is/not/a/secret/at/all", "/var/lib/some/long/path/that/is/not/a/secret/at/all"},
		{"payment-gateway restarted in 4.2 s, abc kept", "payment-gateway restarted in 4.2 s, abc kept"},
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "***"},
	}
	for _, tt := range tests {
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactRecord(t *testing.T) {
	r := &Redactor{}
	r.Add("tok-123456")
	rec := r.RedactRecord(Record{Command: []string{"curl", "-H", "X: tok-123456"}, Output: "tok-123456", DryRun: "token=zzzz", Result: "exit 0"})
	if strings.Contains(rec.Command[2]+rec.Output+rec.DryRun, "tok-123456") || strings.Contains(rec.DryRun, "zzzz") || rec.Result != "exit 0" {
		t.Errorf("record = %+v", rec)
	}
}

func TestRedactURLUserinfo(t *testing.T) {
	r := &Redactor{}
	tests := []struct{ in, want string }{
		{"dsn postgres://app:Hunter2pw@db:5432/pay ok", "dsn postgres://app:***@db:5432/pay ok"},
		{"redis://:s3cr3t@cache:6379/0", "redis://:***@cache:6379/0"},
		{"amqp://u:p@ss@mq/vh", "amqp://u:***@mq/vh"},
		{"https://user@host/x", "https://user@host/x"},
		{"http://host:8080/path@v2", "http://host:8080/path@v2"},
		{"two: a://x:y1@h b://x:y2@h", "two: a://x:***@h b://x:***@h"},
	}
	for _, tt := range tests {
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
