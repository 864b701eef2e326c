package actions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"sitrep/sources/sanitize"
	"sitrep/sources/supervise"
)

// HTTPRequest is one rendered request.
type HTTPRequest struct {
	Method  string
	URL     string
	Headers map[string]string // plain headers; secrets are kept apart
	Body    string
	// base is where the URL's template says the request goes; a request
	// built otherwise may go only to its own URL's scheme and host.
	base urlBase
}

// HTTPRunner sends one request. Secret headers are resolved only when the
// request is sent, and their values are taught to the Redactor first.
type HTTPRunner struct {
	Request HTTPRequest
	Secrets map[string]SecretHeader
	// DryRequest is the configured dry-run request; nil means "show only".
	DryRequest *HTTPRequest
	Client     *http.Client
	// LookupEnv reads secret variables; TokenEnv is the token_cmd's
	// whole environment.
	LookupEnv func(string) (string, bool)
	TokenEnv  []string
	Timeout   time.Duration
	Redactor  *Redactor
	TargetTxt string
}

// Preview implements Runner.
func (r *HTTPRunner) Preview() Preview {
	p := Preview{Runner: RunnerHTTP, Target: r.TargetTxt,
		Command: r.Redactor.redactAll(requestLines(r.Request, r.Secrets)),
		Body:    r.Redactor.Redact(r.Request.Body)}
	if r.DryRequest != nil {
		p.DryRun = r.Redactor.redactAll(requestLines(*r.DryRequest, r.Secrets))
	} else {
		p.DryRunNote = "this request has no dry run: show only — the request above is exactly what will be sent"
	}
	return p
}

// requestLines is "METHOD URL" then one "Name: value" line per header,
// secrets shown as ***.
func requestLines(req HTTPRequest, secrets map[string]SecretHeader) []string {
	lines := []string{req.Method + " " + req.URL}
	for _, k := range keys(req.Headers) {
		lines = append(lines, k+": "+req.Headers[k])
	}
	for _, k := range keys(secrets) {
		lines = append(lines, k+": "+Mask)
	}
	return lines
}

// HasDryRun implements Runner.
func (r *HTTPRunner) HasDryRun() bool { return r.DryRequest != nil }

// DryRun implements Runner.
func (r *HTTPRunner) DryRun(ctx context.Context, out func(Chunk)) Result {
	if r.DryRequest == nil {
		return Result{ExitCode: -1, Text: "no dry run (show only)"}
	}
	return r.send(ctx, *r.DryRequest, out)
}

// Run implements Runner.
func (r *HTTPRunner) Run(ctx context.Context, out func(Chunk)) Result {
	return r.send(ctx, r.Request, out)
}

func (r *HTTPRunner) send(ctx context.Context, req HTTPRequest, out func(Chunk)) Result {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := &capture{red: r.Redactor, out: out}
	start := time.Now()
	fail := func(format string, args ...any) Result {
		// The error may quote a server or a command: one sanitized line.
		return Result{ExitCode: -1, Duration: time.Since(start), Text: r.Redactor.Redact(sanitize.Line(fmt.Sprintf(format, args...))), Output: c.String()}
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, strings.NewReader(req.Body))
	if err != nil {
		return fail("bad request: %v", err)
	}
	for k, v := range req.Headers {
		hr.Header.Set(k, v)
	}
	// The URL as it will be sent must still go where the template says,
	// or no secret header is attached and nothing is sent.
	if err := checkURL(hr.URL.String(), req.target()); err != nil {
		return fail("refused %s: %v", displayValue(req.URL), err)
	}
	for _, k := range keys(r.Secrets) {
		v, err := r.secret(ctx, r.Secrets[k])
		if err != nil {
			return fail("secret for header %s unavailable (%v)", k, err)
		}
		hr.Header.Set(k, r.Secrets[k].Prefix+v)
	}
	// Never follow a redirect: the request sent must be the one previewed,
	// and secret headers must not go to a host the action never named.
	// A copy, so the engine's client stays as it was given.
	var client http.Client
	if r.Client != nil {
		client = *r.Client
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(hr)
	if err != nil {
		res := fail("request failed: %v", err)
		res.TimedOut = ctx.Err() == context.DeadlineExceeded
		res.Cancelled = !res.TimedOut && ctx.Err() != nil
		return res
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxOutput+1))
	c.add("stdout", string(body))
	// The reason phrase and Location are the server's words: sanitized
	// before they reach a screen, and redacted.
	text := "HTTP " + sanitize.Line(resp.Status)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if loc := sanitize.Line(resp.Header.Get("Location")); loc != "" {
			text += ": redirect to " + loc + " not followed"
		} else {
			text += ": redirect not followed"
		}
	}
	res := Result{
		ExitCode: resp.StatusCode,
		Duration: time.Since(start),
		Text:     r.Redactor.Redact(text),
		Output:   c.String(),
		OK:       resp.StatusCode >= 200 && resp.StatusCode < 300,
	}
	return res
}

// maxTokenOutput is the most a token_cmd may print; more is refused.
const maxTokenOutput = 64 << 10

// tokenGrace is how long a token_cmd that must stop has between SIGTERM
// and SIGKILL.
const tokenGrace = time.Second

// cappedBuffer keeps at most max bytes and notes whether more came. It
// accepts (and drops) the rest, so the command is never blocked writing.
type cappedBuffer struct {
	b    bytes.Buffer
	max  int
	over bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if room := c.max - c.b.Len(); len(p) > room {
		c.b.Write(p[:max(room, 0)])
		c.over = true
		return len(p), nil
	}
	return c.b.Write(p)
}

// secret resolves one secret header's value and teaches it to the
// redactor before anything could print it.
func (r *HTTPRunner) secret(ctx context.Context, s SecretHeader) (string, error) {
	if s.Env != "" {
		look := r.LookupEnv
		if look == nil {
			return "", fmt.Errorf("environment variable %s is not available", s.Env)
		}
		v, ok := look(s.Env)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is not set", s.Env)
		}
		// A header's secret is hidden from every message, not only
		// this plan's: a server may echo it into any later error.
		r.Redactor.Root().Add(v)
		return v, nil
	}
	if len(s.TokenCmd) == 0 {
		return "", fmt.Errorf("no env and no token_cmd")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out := &cappedBuffer{max: maxTokenOutput}
	stderr := &cappedBuffer{max: 4 << 10}
	// Through the process supervisor, like every action's process:
	// whatever the command leaves behind ends with it, or with sitrep.
	ex, err := supervise.Run(ctx, supervise.Spec{Argv: s.TokenCmd, Env: r.TokenEnv, Grace: tokenGrace}, out, stderr)
	if err == nil && !ex.OK() {
		err = errors.New(ex.String())
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%s)", ctx.Err(), ex)
		}
	}
	if err != nil {
		// Never include the command's output: it may be half a token. Its
		// stderr says why, but is outside text that may echo a secret:
		// one sanitized line, with anything it printed redacted.
		quiet := &sanitize.Secrets{}
		if r.Redactor != nil {
			quiet.Inherit(&r.Redactor.Secrets)
		}
		for _, line := range strings.Split(out.b.String(), "\n") {
			quiet.Add(line)
		}
		msg := fmt.Sprintf("token_cmd %s failed: %v", s.TokenCmd[0], err)
		if why := quiet.Quote(stderr.b.String(), 200); why != "" {
			msg += ": " + why
		}
		return "", errors.New(msg)
	}
	if out.over {
		return "", fmt.Errorf("token_cmd %s printed more than %d KiB", s.TokenCmd[0], maxTokenOutput>>10)
	}
	v := strings.TrimSpace(out.b.String())
	if v == "" {
		return "", fmt.Errorf("token_cmd %s printed nothing", s.TokenCmd[0])
	}
	r.Redactor.Root().Add(v)
	return v, nil
}
