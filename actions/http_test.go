package actions

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// edgeAPI is a demo edge API: POST /ip-blocks, with ?dry_run=true.
type edgeAPI struct {
	mu       sync.Mutex
	blocks   []map[string]string
	dryRuns  int
	auth     []string
	cmdToken []string
}

func (e *edgeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/ip-blocks" {
		http.NotFound(w, r)
		return
	}
	var body map[string]string
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &body); err != nil {
		http.Error(w, "bad json: "+err.Error(), http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.auth = append(e.auth, r.Header.Get("Authorization"))
	e.cmdToken = append(e.cmdToken, r.Header.Get("X-Cmd-Token"))
	if r.URL.Query().Get("dry_run") == "true" {
		e.dryRuns++
		_, _ = io.WriteString(w, `{"would_block": 1, "requests_last_hour": 1234}`)
		return
	}
	e.blocks = append(e.blocks, body)
	w.WriteHeader(http.StatusCreated)
	// A careless API echoes the credential back: it must not reach the output.
	_, _ = io.WriteString(w, `{"id": "blk-1", "echo": "`+r.Header.Get("Authorization")+`"}`)
}

func TestHTTPRunner(t *testing.T) {
	const token = "edge-secret-Zq81xPq"
	api := &edgeAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	tests := []struct {
		name       string
		reason     string
		wantReason string
	}{
		{"plain", "", "abuse"},
		{"json escaping", `he said "stop" \ then {"x":1}`, `he said "stop" \ then {"x":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rec, _ := testEngine(t, map[string]string{"TEST_EDGE_TOKEN": token})
			e.Caller = map[string]string{"edge_url": srv.URL}
			params := map[string]string{"ip": "203.0.113.7"}
			if tt.reason != "" {
				params["reason"] = tt.reason
			}
			p, err := e.Prepare(context.Background(), "block_ip", params, stagingIncident)
			if err != nil {
				t.Fatal(err)
			}
			pv := p.Preview
			if pv.Command[0] != "POST "+srv.URL+"/ip-blocks" {
				t.Errorf("preview command = %q", pv.Command)
			}
			joined := strings.Join(pv.Command, "\n")
			if !strings.Contains(joined, "Authorization: ***") || !strings.Contains(joined, "X-Cmd-Token: ***") {
				t.Errorf("preview does not mask secrets: %q", pv.Command)
			}
			if strings.Join(pv.DryRun, "\n") == "" || !strings.HasPrefix(pv.DryRun[0], "POST "+srv.URL+"/ip-blocks?dry_run=true") {
				t.Errorf("preview dry run = %q", pv.DryRun)
			}
			dr := p.DryRun(context.Background(), nil)
			if !dr.OK || !strings.Contains(dr.Output, "requests_last_hour") {
				t.Fatalf("dry run = %+v", dr)
			}
			if err := p.Confirm("yes"); err != nil {
				t.Fatal(err)
			}
			res, err := p.Run(context.Background(), nil)
			if err != nil || !res.OK || res.ExitCode != 201 || res.Text != "HTTP 201 Created" {
				t.Fatalf("run = %+v %v", res, err)
			}
			if strings.Contains(res.Output, token) || !strings.Contains(res.Output, "***") {
				t.Errorf("output not redacted: %q", res.Output)
			}
			if all := rec.json(t); strings.Contains(all, token) || strings.Contains(all, "tok-from-cmd-5f3a9c") {
				t.Errorf("a secret reached the records: %s", all)
			}
			api.mu.Lock()
			defer api.mu.Unlock()
			last := api.blocks[len(api.blocks)-1]
			if last["ip"] != "203.0.113.7" || last["reason"] != tt.wantReason {
				t.Errorf("server got %v", last)
			}
			if a := api.auth[len(api.auth)-1]; a != "Bearer "+token {
				t.Errorf("server got Authorization %q", a)
			}
			if c := api.cmdToken[len(api.cmdToken)-1]; c != "tok-from-cmd-5f3a9c" {
				t.Errorf("server got X-Cmd-Token %q", c)
			}
		})
	}
}

func TestHTTPMissingSecretFails(t *testing.T) {
	srv := httptest.NewServer(&edgeAPI{})
	defer srv.Close()
	e, _, _ := testEngine(t, nil)
	e.Caller = map[string]string{"edge_url": srv.URL}
	p, err := e.Prepare(context.Background(), "block_ip", map[string]string{"ip": "10.0.0.1"}, stagingIncident)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Confirm("y"); err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background(), nil)
	if err != nil || res.OK || !strings.Contains(res.Text, "TEST_EDGE_TOKEN is not set") {
		t.Errorf("run = %+v %v", res, err)
	}
}

func TestPagerDutyRunner(t *testing.T) {
	tests := []struct {
		op       string
		args     map[string]string
		wantReq  string
		wantBody string
		wantCall string
		wantErr  string
	}{
		{PDEscalate, map[string]string{"level": "2"}, "PUT /incidents/PABC123", `{"incident":{"escalation_level":2,"type":"incident_reference"}}`, "escalate PABC123 2", ""},
		{PDSnooze, map[string]string{"duration": "1h"}, "POST /incidents/PABC123/snooze", `{"duration":3600}`, "snooze PABC123 1h0m0s", ""},
		{PDReassign, map[string]string{"user_id": "PUSER01"}, "PUT /incidents/PABC123", `{"incident":{"assignments":[{"assignee":{"id":"PUSER01","type":"user_reference"}}],"type":"incident_reference"}}`, "reassign PABC123 PUSER01", ""},
		{PDMerge, map[string]string{"source_ids": "P1,P2"}, "PUT /incidents/PABC123/merge", `{"source_incidents":[{"id":"P1","type":"incident_reference"},{"id":"P2","type":"incident_reference"}]}`, "merge PABC123 P1,P2", ""},
		{PDUrgency, map[string]string{"urgency": "low"}, "PUT /incidents/PABC123", `{"incident":{"type":"incident_reference","urgency":"low"}}`, "urgency PABC123 low", ""},
		{PDPriority, map[string]string{"priority_id": "PPRIO1"}, "PUT /incidents/PABC123", `{"incident":{"priority":{"id":"PPRIO1","type":"priority_reference"},"type":"incident_reference"}}`, "priority PABC123 PPRIO1", ""},
		{PDAddResponder, map[string]string{"user_id": "PUSER02", "message": "help"}, "POST /incidents/PABC123/responder_requests", `{"message":"help","responder_request_targets":[{"responder_request_target":{"id":"PUSER02","type":"user_reference"}}]}`, "responder PABC123 PUSER02 help", ""},
		{PDStatusUpdate, map[string]string{"message": "rolling back"}, "POST /incidents/PABC123/status_updates", `{"message":"rolling back"}`, "status PABC123 rolling back", ""},
		{PDEscalate, map[string]string{"level": "0"}, "", "", "", "not a positive number"},
		{PDSnooze, map[string]string{"duration": "10s"}, "", "", "", "between 1m and 168h"},
		{PDUrgency, map[string]string{"urgency": "urgent"}, "", "", "", "high or low"},
	}
	for _, tt := range tests {
		t.Run(tt.op+tt.wantErr, func(t *testing.T) {
			req, err := BuildPagerDutyCall(tt.op, "PABC123", tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.Method+" "+req.Path != tt.wantReq || req.Body != tt.wantBody {
				t.Errorf("request = %s %s %s", req.Method, req.Path, req.Body)
			}
			pd := &fakePD{}
			r := &PagerDutyRunner{Op: tt.op, IncidentID: "PABC123", Args: tt.args, Writer: pd, Redactor: &Redactor{}}
			if pv := r.Preview(); pv.Command[0] != tt.wantReq || pv.Body != tt.wantBody {
				t.Errorf("preview = %+v", pv)
			}
			res := r.Run(context.Background(), nil)
			if !res.OK || strings.Join(pd.all(), ";") != tt.wantCall {
				t.Errorf("run = %+v, calls %q", res, pd.all())
			}
		})
	}
}

func TestPagerDutyActionThroughPlan(t *testing.T) {
	e, rec, pd := testEngine(t, nil)
	p, err := e.Prepare(context.Background(), "escalate", map[string]string{"level": "3"}, prodIncident)
	if err != nil {
		t.Fatal(err)
	}
	if p.Preview.Command[0] != "PUT /incidents/PABC123" || !strings.Contains(p.Preview.Body, `"escalation_level":3`) {
		t.Errorf("preview = %+v", p.Preview)
	}
	if err := p.Confirm("payment-gateway"); err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background(), nil)
	if err != nil || !res.OK {
		t.Fatalf("run = %+v %v", res, err)
	}
	if got := strings.Join(pd.all(), ";"); got != "escalate PABC123 3" {
		t.Errorf("calls = %q (announce pagerduty is off, so no note)", got)
	}
	if !strings.HasSuffix(rec.steps(), "started,output,finished") {
		t.Errorf("steps = %s", rec.steps())
	}
}

// rawServer answers every request with resp written as it is, so a test
// can send what a well-behaved Go server would not.
func rawServer(t *testing.T, resp string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, bw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		_, _ = bw.WriteString(resp)
		_ = bw.Flush()
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPRedirectNotFollowed(t *testing.T) {
	const secret = "s3cr3t-value-123"
	var mu sync.Mutex
	var seen []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.Method+" "+r.URL.Path+" X-Api-Key="+r.Header.Get("X-Api-Key"))
	}))
	defer other.Close()
	target := strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + "/steal"
	for _, code := range []int{http.StatusTemporaryRedirect, http.StatusFound, http.StatusMovedPermanently} {
		first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target, code)
		}))
		r := &HTTPRunner{
			Request:   HTTPRequest{Method: "POST", URL: first.URL + "/restart", Headers: map[string]string{}, Body: `{"svc":"pg"}`},
			Secrets:   map[string]SecretHeader{"X-Api-Key": {Env: "K"}},
			LookupEnv: func(string) (string, bool) { return secret, true },
			Redactor:  &Redactor{},
			Client:    &http.Client{},
		}
		res := r.Run(context.Background(), nil)
		first.Close()
		if res.OK || res.ExitCode != code {
			t.Errorf("%d: result = %+v, want a failed %d", code, res, code)
		}
		if want := "HTTP " + strconv.Itoa(code) + " " + http.StatusText(code); !strings.Contains(res.Text, want) || !strings.Contains(res.Text, target) {
			t.Errorf("%d: text = %q, want the status and the location %s", code, res.Text, target)
		}
		if r.Client.CheckRedirect != nil {
			t.Errorf("%d: the engine's client was changed", code)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 0 {
		t.Errorf("the redirect was followed: %q", seen)
	}
}

func TestHTTPStatusAndLocationSanitized(t *testing.T) {
	tests := []struct {
		name, resp, want string
	}{
		{"reason phrase", "HTTP/1.1 200 OK\x1b]0;owned\x07\x1b[2J\x07\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", "HTTP 200 OK"},
		{"location", "HTTP/1.1 302 Found\r\nLocation: /x\u009b31m?token=abc123secret\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
			"HTTP 302 Found: redirect to /x?token=*** not followed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := rawServer(t, tt.resp)
			r := &HTTPRunner{Request: HTTPRequest{Method: "GET", URL: srv.URL}, Redactor: &Redactor{}}
			res := r.Run(context.Background(), nil)
			if res.Text != tt.want {
				t.Errorf("text = %q, want %q", res.Text, tt.want)
			}
		})
	}
}

func TestSlackAnnouncementEscaped(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Text string }
		_ = json.NewDecoder(r.Body).Decode(&m)
		got <- m.Text
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	err := SlackWebhook{URL: srv.URL}.Announce(context.Background(), "P1", "restart on <!channel> & <https://evil|click> > x")
	if err != nil {
		t.Fatal(err)
	}
	if text, want := <-got, "restart on &lt;!channel&gt; &amp; &lt;https://evil|click&gt; &gt; x"; text != want {
		t.Errorf("slack got %q, want %q", text, want)
	}
}

// TestTokenCmdBackgroundChild: a token_cmd that leaves a child holding
// its stdout must not hang the request, and the child must not outlive it.
func TestTokenCmdBackgroundChild(t *testing.T) {
	var mu sync.Mutex
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		auth = append(auth, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	pidFile := filepath.Join(t.TempDir(), "pid")
	newRunner := func(script string) *HTTPRunner {
		return &HTTPRunner{
			Request:  HTTPRequest{Method: "POST", URL: srv.URL},
			Secrets:  map[string]SecretHeader{"Authorization": {TokenCmd: []string{"/bin/sh", "-c", script, "sh", pidFile}, Prefix: "Bearer "}},
			TokenEnv: []string{"PATH=/usr/bin:/bin"},
			Redactor: &Redactor{},
			Timeout:  time.Hour,
		}
	}
	res := newRunner(`sleep 3600 & echo $! > "$1"; echo tok-Kq83nd`).Run(context.Background(), nil)
	if !res.OK {
		t.Fatalf("run = %+v", res)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("background child never started: %v", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 {
		t.Fatalf("bad pid %q", b)
	}
	if !waitGone(t, pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("token_cmd's background child %d survived", pid)
	}
	mu.Lock()
	if len(auth) != 1 || auth[0] != "Bearer tok-Kq83nd" {
		t.Errorf("server got Authorization %q", auth)
	}
	mu.Unlock()

	// Output beyond the cap is refused, not half-used.
	res = newRunner(`head -c 100000 /dev/zero | tr '\0' a`).Run(context.Background(), nil)
	if res.OK || !strings.Contains(res.Text, "more than 64 KiB") {
		t.Errorf("run with a huge token = %+v", res)
	}
}
