package actions

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"sitrep/sources/sanitize"
)

// hostile is what a terminal must never receive: a window-title change and
// an OSC 52 clipboard write.
const hostile = "\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07"

// A failing token_cmd's stderr is outside text: the error quotes one
// sanitized line of it, with whatever the command printed on stdout (half
// a token, perhaps) redacted.
func TestTokenCmdStderrIsClean(t *testing.T) {
	script := `printf 'half-a-token-9f8e7d\n'; printf '` + strings.ReplaceAll(hostile, "\x1b", `\033`) + `vault is sealed: half-a-token-9f8e7d refused\n' >&2; exit 1`
	script = strings.ReplaceAll(script, "\x07", `\007`)
	r := &HTTPRunner{
		Request:  HTTPRequest{Method: "POST", URL: "http://127.0.0.1:1/never"},
		Secrets:  map[string]SecretHeader{"Authorization": {TokenCmd: []string{"/bin/sh", "-c", script}, Prefix: "Bearer "}},
		TokenEnv: []string{"PATH=/usr/bin:/bin"},
		Redactor: &Redactor{},
	}
	res := r.Run(context.Background(), nil)
	if res.OK {
		t.Fatal("a failing token_cmd ran the request")
	}
	if strings.ContainsAny(res.Text, "\x1b\x07") || strings.Contains(res.Text, "pwned") || strings.Contains(res.Text, "cHduZWQ") {
		t.Errorf("text %q carries the escape sequences", res.Text)
	}
	if strings.Contains(res.Text, "half-a-token") {
		t.Errorf("text %q shows what the command printed", res.Text)
	}
	if !strings.Contains(res.Text, "token_cmd /bin/sh failed") || !strings.Contains(res.Text, "vault is sealed") {
		t.Errorf("text %q does not say why", res.Text)
	}
}

// A server that echoes the secret header in its error answer does not put
// it on the screen, and the value is hidden from every later message too,
// not only this plan's.
func TestSecretHeaderEchoIsRedactedEverywhere(t *testing.T) {
	const secret = "hdr-secret-5c1a9e"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, hostile+"bad key: X-Api-Key: "+r.Header.Get("X-Api-Key"))
	}))
	defer srv.Close()
	global := &sanitize.Secrets{}
	red := &Redactor{}
	red.Inherit(global)
	r := &HTTPRunner{
		Request:   HTTPRequest{Method: "POST", URL: srv.URL + "/restart"},
		Secrets:   map[string]SecretHeader{"X-Api-Key": {Env: "K"}},
		LookupEnv: func(string) (string, bool) { return secret, true },
		Redactor:  red,
	}
	res := r.Run(context.Background(), nil)
	if res.OK || res.ExitCode != http.StatusInternalServerError {
		t.Fatalf("result %+v, want a failed 500", res)
	}
	if strings.Contains(res.Text+res.Output, secret) {
		t.Errorf("the echoed secret reached the result: %+v", res)
	}
	if got := global.RedactValues("later: " + secret); strings.Contains(got, secret) {
		t.Errorf("the header's value was not added to the process-wide secrets: %q", got)
	}
}

// A chat service that fails with escape sequences in its answer leaves a
// clean announcement error, and the webhook URL, a credential, is hidden
// from every later message, not only the plan's.
func TestAnnouncementErrorIsCleanAndWebhookIsSecret(t *testing.T) {
	srv := rawServer(t, "HTTP/1.1 500 Oops"+hostile+"\r\nContent-Length: 7\r\nConnection: close\r\n\r\n"+hostile[:7])
	e, _ := securityEngine(t, map[string]string{"TEST_SLACK_WEBHOOK": srv.URL + "/services/T0/B0/hook-secret"})
	e.Secrets = &sanitize.Secrets{}
	p, err := e.Prepare(context.Background(), "notify_first", nil, stagingIncident)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if len(p.AnnounceErrors) == 0 {
		t.Fatal("the failing webhook was not reported")
	}
	for _, err := range p.AnnounceErrors {
		if strings.ContainsAny(err.Error(), "\x1b\x07") || strings.Contains(err.Error(), "hook-secret") {
			t.Errorf("announce error %q carries escapes or the webhook", err)
		}
	}
	if got := e.Secrets.RedactValues(srv.URL + "/services/T0/B0/hook-secret"); got != sanitize.Mask {
		t.Errorf("the webhook URL is not among the secrets every message hides: %q", got)
	}
}
