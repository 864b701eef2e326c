package world

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The world's own HTTP API, on one loopback port:
//
//	POST /ip-blocks              the demo edge's block list (block_ip); ?dry_run=true asks what it would drop
//	GET  /ip-blocks              the blocks in force
//	POST /control/restart?service=S[&env=E]
//	POST /control/scale?service=S&replicas=N[&env=E]
//	GET  /control/status?service=S[&env=E]
//
// /control/ needs "Authorization: Bearer <the world's token>". The edge
// needs none: the demo catalogue's block_ip sends none, as an edge API on
// a private network often does not.

// IPBlock is one block on the demo edge.
type IPBlock struct {
	ID        string    `json:"id"`
	IP        string    `json:"ip"`
	TTL       string    `json:"ttl"`
	Reason    string    `json:"reason"`
	Incident  string    `json:"incident,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`

	prefix netip.Prefix
}

// IPBlocks is the edge's blocks in force now, oldest first.
func (w *World) IPBlocks() []IPBlock {
	f := w.fleet
	f.mu.RLock()
	defer f.mu.RUnlock()
	now := f.now()
	var out []IPBlock
	for _, b := range f.blocks {
		if now.Before(b.ExpiresAt) {
			out = append(out, b)
		}
	}
	return out
}

// blocked reports whether the edge drops ip's traffic at t. The caller
// holds f.mu.
func (f *fleet) blocked(ip string, t time.Time) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, b := range f.blocks {
		if b.prefix.Contains(a) && !t.Before(b.CreatedAt) && t.Before(b.ExpiresAt) {
			return true
		}
	}
	return false
}

// maxBody caps a request body to the world's API.
const maxBody = 64 << 10

var (
	ttlPattern    = regexp.MustCompile(`^[1-9][0-9]{0,2}[mh]$`)
	reasonPattern = regexp.MustCompile(`^[A-Za-z0-9 ._:-]{1,80}$`)
)

func (w *World) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ip-blocks", func(rw http.ResponseWriter, _ *http.Request) {
		blocks := w.IPBlocks()
		if blocks == nil {
			blocks = []IPBlock{}
		}
		writeAPI(rw, http.StatusOK, map[string]any{"ip_blocks": blocks})
	})
	mux.HandleFunc("POST /ip-blocks", w.postIPBlock)
	mux.HandleFunc("POST /control/restart", w.control(func(r *http.Request) (any, error) {
		return w.RestartIn(r.FormValue("service"), r.FormValue("env"))
	}))
	mux.HandleFunc("POST /control/scale", w.control(func(r *http.Request) (any, error) {
		n, err := strconv.Atoi(r.FormValue("replicas"))
		if err != nil {
			return nil, badRequest("replicas %q: want a number from 1 to %d", r.FormValue("replicas"), MaxReplicas)
		}
		return w.ScaleIn(r.FormValue("service"), r.FormValue("env"), n)
	}))
	mux.HandleFunc("GET /control/status", w.control(func(r *http.Request) (any, error) {
		return w.statusIn(r.FormValue("service"), r.FormValue("env"))
	}))
	return mux
}

type requestError struct{ msg string }

func (e requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return requestError{fmt.Sprintf(format, args...)}
}

// control checks the token and answers do's result or error as JSON.
func (w *World) control(do func(*http.Request) (any, error)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(w.Token)) != 1 {
			rw.Header().Set("WWW-Authenticate", `Bearer realm="sitrep-demo"`)
			writeAPI(rw, http.StatusUnauthorized, apiError{"the demo world's token is missing or wrong"})
			return
		}
		r.Body = http.MaxBytesReader(rw, r.Body, maxBody)
		if err := r.ParseForm(); err != nil {
			writeAPI(rw, http.StatusBadRequest, apiError{"bad form: " + err.Error()})
			return
		}
		if r.FormValue("service") == "" {
			writeAPI(rw, http.StatusBadRequest, apiError{"service is required"})
			return
		}
		res, err := do(r)
		var re requestError
		switch {
		case err == nil:
			writeAPI(rw, http.StatusOK, res)
		case errors.Is(err, ErrUnknownService):
			writeAPI(rw, http.StatusNotFound, apiError{err.Error()})
		case errors.Is(err, ErrWrongEnv):
			writeAPI(rw, http.StatusConflict, apiError{err.Error()})
		case errors.As(err, &re):
			writeAPI(rw, http.StatusBadRequest, apiError{err.Error()})
		default:
			writeAPI(rw, http.StatusUnprocessableEntity, apiError{err.Error()})
		}
	}
}

type apiError struct {
	Error string `json:"error"`
}

func writeAPI(rw http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encode the answer"}`)
	}
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	_, _ = rw.Write(append(b, '\n'))
}

// postIPBlock adds a block, or with ?dry_run=true says what it would have
// dropped in the last hour.
func (w *World) postIPBlock(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxBody))
	if err != nil {
		writeAPI(rw, http.StatusRequestEntityTooLarge, apiError{"body too large"})
		return
	}
	var req struct {
		IP       string `json:"ip"`
		TTL      string `json:"ttl"`
		Reason   string `json:"reason"`
		Incident string `json:"incident"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeAPI(rw, http.StatusBadRequest, apiError{"body: want a JSON object with ip, ttl and reason: " + err.Error()})
		return
	}
	prefix, err := parseBlock(req.IP)
	if err != nil {
		writeAPI(rw, http.StatusUnprocessableEntity, apiError{err.Error()})
		return
	}
	if req.TTL == "" {
		req.TTL = "30m"
	}
	if !ttlPattern.MatchString(req.TTL) {
		writeAPI(rw, http.StatusUnprocessableEntity, apiError{fmt.Sprintf("ttl %q: want minutes or hours such as 30m or 2h", req.TTL)})
		return
	}
	if !reasonPattern.MatchString(req.Reason) {
		writeAPI(rw, http.StatusUnprocessableEntity, apiError{"reason: want 1 to 80 letters, digits, spaces and ._:-"})
		return
	}
	ttl, _ := time.ParseDuration(req.TTL)
	f := w.fleet
	if r.URL.Query().Get("dry_run") == "true" {
		f.mu.RLock()
		n := f.wouldDrop(prefix)
		f.mu.RUnlock()
		writeAPI(rw, http.StatusOK, map[string]any{
			"dry_run": true, "ip": prefix.String(), "addresses": 1 << (32 - prefix.Bits()),
			"would_drop": n, "window": "1h", "ttl": req.TTL,
		})
		return
	}
	f.mu.Lock()
	now := f.now()
	b := IPBlock{
		ID: fmt.Sprintf("blk_%04d", len(f.blocks)+1), IP: prefix.String(), TTL: req.TTL, Reason: req.Reason,
		Incident: req.Incident, CreatedAt: now, ExpiresAt: now.Add(ttl), prefix: prefix,
	}
	f.blocks = append(f.blocks, b)
	f.mu.Unlock()
	w.notef("edge: blocked %s for %s (%s)", b.IP, b.TTL, b.Reason)
	rw.Header().Set("Location", "/ip-blocks/"+b.ID)
	writeAPI(rw, http.StatusCreated, b)
}

// parseBlock accepts an IPv4 address or a range of at most 256 addresses.
func parseBlock(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return netip.Prefix{}, fmt.Errorf("ip %q: want an IPv4 address or range such as 203.0.113.0/24", s)
		}
		return netip.PrefixFrom(a, 32), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("ip %q: want an IPv4 address or range such as 203.0.113.0/24", s)
	}
	if p.Bits() < 24 {
		return netip.Prefix{}, fmt.Errorf("ip %q: a block covers at most 256 addresses (/24 or narrower)", s)
	}
	return p.Masked(), nil
}

// wouldDrop is how many requests the edge saw from prefix in the last
// hour: the abusive client's, or a handful. The caller holds f.mu.
func (f *fleet) wouldDrop(p netip.Prefix) int {
	if p.Contains(netip.MustParseAddr(abusiveIP)) {
		return 6000 + int(mix(f.seed)%800)
	}
	return int(mix(f.seed^hashString(p.String())) % 7)
}

// serveAPI starts the world's API on a free loopback port.
func (w *World) serveAPI() (string, func() error, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: w.apiHandler(), ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	stop := func() error {
		err := srv.Close()
		<-done
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		return err
	}
	return "http://" + l.Addr().String(), stop, nil
}
