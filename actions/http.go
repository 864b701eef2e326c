package actions

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// HTTPRequest is one rendered request.
type HTTPRequest struct {
	Method  string
	URL     string
	Headers map[string]string // plain headers; secrets are kept apart
	Body    string
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
		return Result{ExitCode: -1, Duration: time.Since(start), Text: r.Redactor.Redact(fmt.Sprintf(format, args...)), Output: c.String()}
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, strings.NewReader(req.Body))
	if err != nil {
		return fail("bad request: %v", err)
	}
	for k, v := range req.Headers {
		hr.Header.Set(k, v)
	}
	for _, k := range keys(r.Secrets) {
		v, err := r.secret(ctx, r.Secrets[k])
		if err != nil {
			return fail("secret for header %s unavailable (%v)", k, err)
		}
		hr.Header.Set(k, r.Secrets[k].Prefix+v)
	}
	client := r.Client
	if client == nil {
		client = &http.Client{}
	}
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
	res := Result{
		ExitCode: resp.StatusCode,
		Duration: time.Since(start),
		Text:     "HTTP " + resp.Status,
		Output:   c.String(),
		OK:       resp.StatusCode >= 200 && resp.StatusCode < 300,
	}
	return res
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
		r.Redactor.Add(v)
		return v, nil
	}
	if len(s.TokenCmd) == 0 {
		return "", fmt.Errorf("no env and no token_cmd")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.TokenCmd[0], s.TokenCmd[1:]...)
	cmd.Env = r.TokenEnv
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	outb, err := cmd.Output()
	if err != nil {
		// Never include the command's output: it may be half a token.
		return "", fmt.Errorf("token_cmd %s failed: %v", s.TokenCmd[0], err)
	}
	v := strings.TrimSpace(string(outb))
	if v == "" {
		return "", fmt.Errorf("token_cmd %s printed nothing", s.TokenCmd[0])
	}
	r.Redactor.Add(v)
	return v, nil
}
