package actions

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// hostileSegments are values that try to take a request elsewhere.
var hostileSegments = []string{
	"../admin", "..", ".", "%2e%2e", "%2E%2e%2Fadmin", "%252e%252e", "%2F", "a/b", "@evil.example",
	"?x=1#", "x\nHost: evil.example", "http://evil.example/x", "//evil.example", "\\..\\admin", "#frag",
}

func TestBuildURLKeepsValuesInTheirSegment(t *testing.T) {
	templates := []struct {
		tmpl     string
		vals     map[string]string
		host     string
		segments func(v string) []string // the path's segments, decoded
	}{
		{"https://api.example:8443/v1/users/{{.id}}/block", nil, "api.example:8443",
			func(v string) []string { return []string{"", "v1", "users", v, "block"} }},
		{"{{.base}}/ip-blocks/{{.id}}?dry_run=true", map[string]string{"base": "http://127.0.0.1:9999/api"}, "127.0.0.1:9999",
			func(v string) []string { return []string{"", "api", "ip-blocks", v} }},
		{"http://127.0.0.1:9999/x/pre-{{.id}}", nil, "127.0.0.1:9999",
			func(v string) []string { return []string{"", "x", "pre-" + v} }},
	}
	for _, tt := range templates {
		for _, v := range hostileSegments {
			vals := map[string]string{"id": v}
			for k, x := range tt.vals {
				vals[k] = x
			}
			got, base, err := buildURL("url", tt.tmpl, vals)
			if err != nil {
				var ue *URLError
				if !errors.As(err, &ue) || ue.Reason == "" {
					t.Errorf("%s with %q: err = %v, want a URLError with its reason", tt.tmpl, v, err)
				}
				continue
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Errorf("%s with %q: built %q, which does not parse: %v", tt.tmpl, v, got, err)
				continue
			}
			if u.Host != tt.host || u.User != nil || base.Host != tt.host {
				t.Errorf("%s with %q: built %q, on host %q (user %v), want %s", tt.tmpl, v, got, u.Host, u.User, tt.host)
			}
			var segs []string
			for _, s := range strings.Split(u.EscapedPath(), "/") {
				if isDotSegment(s) {
					t.Errorf("%s with %q: a dot segment was accepted: %s", tt.tmpl, v, got)
				}
				d, err := url.PathUnescape(s)
				if err != nil {
					t.Fatal(err)
				}
				segs = append(segs, d)
			}
			if want := tt.segments(v); strings.Join(segs, "\x00") != strings.Join(want, "\x00") {
				t.Errorf("%s with %q: built %q, segments %q, want %q", tt.tmpl, v, got, segs, want)
			}
			if strings.ContainsAny(got, "\n\r ") {
				t.Errorf("%s with %q: built %q with a raw control or space", tt.tmpl, v, got)
			}
			if strings.Contains(tt.tmpl, "?dry_run=true") && u.RawQuery != "dry_run=true" || !strings.Contains(tt.tmpl, "?") && (u.RawQuery != "" || u.Fragment != "") {
				t.Errorf("%s with %q: built %q: the query or fragment changed", tt.tmpl, v, got)
			}
		}
	}
}

func TestBuildURLRefusesDotSegments(t *testing.T) {
	for _, v := range []string{"..", ".", "%2e%2e", "%2E.", "%252e%252e", "%2e"} {
		_, _, err := buildURL("url", "https://api.example/v1/{{.id}}/x", map[string]string{"id": v})
		var ue *URLError
		if !errors.As(err, &ue) || !strings.Contains(ue.Reason, "segment") {
			t.Errorf("%q: err = %v, want a refused dot segment", v, err)
		}
	}
}

func TestBuildURLQueryValues(t *testing.T) {
	got, _, err := buildURL("url", "https://api.example/v1/x?reason={{.r}}&id={{.id}}", map[string]string{"r": "a&admin=true#x", "id": "7"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	q := u.Query()
	if q.Get("reason") != "a&admin=true#x" || q.Get("id") != "7" || len(q) != 2 || u.Fragment != "" {
		t.Errorf("built %q: query %v, fragment %q", got, q, u.Fragment)
	}
}

func TestBuildURLRefusesValuesOutsideThePath(t *testing.T) {
	tests := []struct {
		tmpl    string
		vals    map[string]string
		contain string
	}{
		{"https://{{.h}}/x", map[string]string{"h": "evil.example"}, "may not stand in the URL's host"},
		{"https://api.example{{.p}}/x", map[string]string{"p": "@evil.example"}, "may not stand in the URL's host"},
		{"http://127.0.0.1:{{.port}}/x", map[string]string{"port": "80"}, "may not stand in the URL's host"},
		{"{{.base}}{{.p}}", map[string]string{"base": "http://127.0.0.1:1", "p": "@evil.example"}, "must go on with /, ? or #"},
		{"{{.base}}/x", map[string]string{"base": "http://u:p@127.0.0.1:1"}, "no user"},
		{"{{.base}}/x", map[string]string{"base": "file:///etc/passwd"}, "http(s) URL with a host"},
		{"{{.base}}/x", map[string]string{"base": "http://127.0.0.1:1/?a=b"}, "no user, query or fragment"},
		{"ftp://h.example/{{.x}}", map[string]string{"x": "y"}, "must begin with http:// or https://"},
		{"https://api.example/v1/../admin/{{.x}}", map[string]string{"x": "y"}, `".." segment`},
	}
	for _, tt := range tests {
		_, _, err := buildURL("url", tt.tmpl, tt.vals)
		if err == nil || !strings.Contains(err.Error(), tt.contain) {
			t.Errorf("%s %v: err = %v, want %q", tt.tmpl, tt.vals, err, tt.contain)
		}
	}
}

func TestCheckURL(t *testing.T) {
	base := urlBase{Scheme: "http", Host: "127.0.0.1:8080", Path: "/api/v1/"}
	tests := []struct {
		url     string
		contain string // "" means kept
	}{
		{"http://127.0.0.1:8080/api/v1/users/7", ""},
		{"https://127.0.0.1:8080/api/v1/users/7", "scheme"},
		{"http://127.0.0.1:8081/api/v1/users/7", "port"},
		{"http://evil.example:8080/api/v1/users/7", "host"},
		{"http://127.0.0.1:8080@evil.example/api/v1/users/7", "user"},
		{"http://127.0.0.1:8080/api/v2/users", "base path"},
		{"http://127.0.0.1:8080/api/v1/../../admin", `".." segment`},
		{"http://127.0.0.1:8080/api/v1/%2e%2e/admin", `".." segment`},
		{"http://127.0.0.1:8080/api/v1x", "base path"},
	}
	for _, tt := range tests {
		err := checkURL(tt.url, base)
		if tt.contain == "" && err != nil || tt.contain != "" && (err == nil || !strings.Contains(err.Error(), tt.contain)) {
			t.Errorf("checkURL(%q) = %v, want %q", tt.url, err, tt.contain)
		}
	}
}

// userAPI records every request that reaches it.
type userAPI struct {
	mu   sync.Mutex
	seen []*http.Request
}

func (a *userAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.seen = append(a.seen, r)
	a.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (a *userAPI) requests() []*http.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*http.Request(nil), a.seen...)
}

func TestHTTPActionHostileSegments(t *testing.T) {
	const token = "user-api-secret-7Hq2"
	api := &userAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	cat, probs := Load(filepath.Join(tdata, "httpurl"))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	for _, v := range hostileSegments {
		before := len(api.requests())
		e, _, _ := testEngine(t, map[string]string{"TEST_API_TOKEN": token})
		e.Catalogue = cat
		e.Caller = map[string]string{"api": srv.URL + "/api"}
		p, err := e.Prepare(context.Background(), "block_user", map[string]string{"user": v}, stagingIncident)
		if err != nil {
			var ue *URLError
			if !errors.As(err, &ue) {
				t.Errorf("user=%q: err = %v, want a URLError", v, err)
			}
			if len(api.requests()) != before {
				t.Errorf("user=%q: a refused request reached the server", v)
			}
			continue
		}
		res, err := p.Run(context.Background(), nil)
		if err != nil || !res.OK {
			t.Errorf("user=%q: run = %+v, %v", v, res, err)
			continue
		}
		reqs := api.requests()
		if len(reqs) != before+1 {
			t.Fatalf("user=%q: the server saw %d requests, want 1", v, len(reqs)-before)
		}
		r := reqs[len(reqs)-1]
		segs := strings.Split(r.URL.EscapedPath(), "/")
		if len(segs) != 6 || segs[1] != "api" || segs[2] != "v1" || segs[3] != "users" || segs[5] != "block" {
			t.Errorf("user=%q: the server saw the path %q", v, r.URL.EscapedPath())
		} else if got, _ := url.PathUnescape(segs[4]); got != v {
			t.Errorf("user=%q: the server saw the segment %q", v, got)
		}
		if r.URL.RawQuery != "note=none" {
			t.Errorf("user=%q: the server saw the query %q", v, r.URL.RawQuery)
		}
	}
}

// A request whose URL left its base before it is sent is refused before
// its secret is even looked up.
func TestHTTPSendRefusesAnotherTargetBeforeSecrets(t *testing.T) {
	api := &userAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	base := urlBase{Scheme: "http", Host: host, Path: "/api/v1/"}
	for _, raw := range []string{
		srv.URL + "/admin",
		srv.URL + "/api/v1/../../admin",
		"http://other.invalid:1/api/v1/x",
		"http://x@" + host + "/api/v1/x",
	} {
		looked := false
		r := &HTTPRunner{
			Request:   HTTPRequest{Method: "POST", URL: raw, base: base},
			Secrets:   map[string]SecretHeader{"Authorization": {Env: "TOKEN", Prefix: "Bearer "}},
			LookupEnv: func(string) (string, bool) { looked = true; return "tok", true },
			Redactor:  &Redactor{},
		}
		res := r.Run(context.Background(), nil)
		if res.OK || !strings.Contains(res.Text, "refused") {
			t.Errorf("%s: result %+v, want refused", raw, res)
		}
		if looked {
			t.Errorf("%s: the secret was looked up for a refused request", raw)
		}
	}
	if n := len(api.requests()); n != 0 {
		t.Errorf("the server saw %d requests", n)
	}
	// The control: the same runner on a URL under its base is sent.
	r := &HTTPRunner{Request: HTTPRequest{Method: "POST", URL: srv.URL + "/api/v1/x", base: base}, Redactor: &Redactor{}}
	if res := r.Run(context.Background(), nil); !res.OK {
		t.Errorf("a URL under its base was refused: %+v", res)
	}
}

// Whatever the values, a URL that is built stays on the template's host,
// keeps its segments and its one query value, and carries the values back
// unchanged once decoded.
func FuzzBuildURL(f *testing.F) {
	for _, v := range hostileSegments {
		f.Add(v, "none")
	}
	f.Add("7", "a&admin=true#x")
	f.Add("\xff\xfe", "%zz")
	f.Add("..;/admin", ";x=1")
	f.Fuzz(func(t *testing.T, id, note string) {
		vals := map[string]string{"base": "http://127.0.0.1:9999/api", "id": id, "note": note}
		got, _, err := buildURL("url", "{{.base}}/v1/users/{{.id}}/block?note={{.note}}", vals)
		if err != nil {
			var ue *URLError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want a URLError", err)
			}
			return
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("built %q, which does not parse: %v", got, err)
		}
		if u.Scheme != "http" || u.Host != "127.0.0.1:9999" || u.User != nil || u.Fragment != "" {
			t.Fatalf("built %q: left the configured base", got)
		}
		segs := strings.Split(u.EscapedPath(), "/")
		if len(segs) != 6 || segs[1] != "api" || segs[2] != "v1" || segs[3] != "users" || segs[5] != "block" {
			t.Fatalf("built %q: path segments %q", got, segs)
		}
		if d, err := url.PathUnescape(segs[4]); err != nil || d != id {
			t.Fatalf("built %q: the segment decodes to %q, want %q", got, d, id)
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil || len(q) != 1 || len(q["note"]) != 1 || q.Get("note") != note {
			t.Fatalf("built %q: query %v (%v), want note=%q only", got, q, err, note)
		}
	})
}
