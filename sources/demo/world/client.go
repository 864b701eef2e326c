package world

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrUnreachable means no demo world answered at the control URL: it has
// exited, or never started.
var ErrUnreachable = errors.New("the demo world does not answer")

// Control drives a running demo world from another process: what
// `sitrep demo-ctl` uses.
type Control struct {
	URL   string       // the world's ControlURL
	Token string       // the world's Token
	HTTP  *http.Client // nil: a client with a 10 s timeout
}

// Restart restarts service, which must run in env when env is set.
func (c Control) Restart(ctx context.Context, service, env string) (RestartResult, error) {
	var res RestartResult
	err := c.call(ctx, http.MethodPost, "restart", url.Values{"service": {service}, "env": {env}}, &res)
	return res, err
}

// Scale sets service's replicas.
func (c Control) Scale(ctx context.Context, service, env string, replicas int) (ScaleResult, error) {
	var res ScaleResult
	err := c.call(ctx, http.MethodPost, "scale", url.Values{"service": {service}, "env": {env}, "replicas": {strconv.Itoa(replicas)}}, &res)
	return res, err
}

// Status is service's pods and health.
func (c Control) Status(ctx context.Context, service, env string) (ServiceStatus, error) {
	var res ServiceStatus
	err := c.call(ctx, http.MethodGet, "status", url.Values{"service": {service}, "env": {env}}, &res)
	return res, err
}

func (c Control) call(ctx context.Context, method, op string, q url.Values, out any) error {
	if env := q.Get("env"); env == "" {
		q.Del("env")
	}
	u := strings.TrimRight(c.URL, "/") + "/" + op + "?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return fmt.Errorf("demo control %s: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%w at %s: %v", ErrUnreachable, c.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("demo control %s: read the answer: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e apiError
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return errors.New(e.Error) // written for the person at the terminal
		}
		return fmt.Errorf("demo control %s: %s", op, resp.Status)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("demo control %s: bad answer: %w", op, err)
	}
	return nil
}
