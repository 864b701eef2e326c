package actions

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/template/parse"
)

// An http runner's URL is built, not just rendered: the template names
// where the request goes (scheme, host, port and a base path), and the
// values only fill path segments and query values. A value can therefore
// neither add a segment ("a/b"), climb out of the base path ("..",
// "%2e%2e"), nor move the request to another host ("@evil.example").

// URLError refuses a URL that a value would take somewhere the template
// does not name.
type URLError struct {
	What   string // http.url, http.dry_run.url
	URL    string // as built, redacted for display by the caller
	Reason string
}

func (e *URLError) Error() string {
	if e.URL == "" {
		return fmt.Sprintf("%s: refused: %s", e.What, e.Reason)
	}
	return fmt.Sprintf("%s: refused %s: %s", e.What, displayValue(e.URL), e.Reason)
}

// urlBase is where a request may go: its scheme, host (with port) and the
// path every request must stay under, as the template names them.
type urlBase struct {
	Scheme string
	Host   string // host[:port], as url.URL.Host
	Path   string // escaped; the request's path must start with it
}

func (b urlBase) String() string { return b.Scheme + "://" + b.Host + b.Path }

// urlPiece is the template's literal text or one rendered value.
type urlPiece struct {
	text  string
	value bool
}

// buildURL renders an http runner's URL template. The template must begin
// with the scheme and host, written out ("https://api.example/v1/...") or
// given whole by one value ("{{.base}}/x", that value an http(s) URL with
// no query); no value may stand inside the scheme, host or port. Each
// value in the path is percent-encoded as one segment's text, each value
// in the query as one query value. The result is then checked against the
// base the template names.
func buildURL(what, tmpl string, vals map[string]string) (string, urlBase, error) {
	pieces, err := urlPieces(what, tmpl, vals)
	if err != nil {
		return "", urlBase{}, err
	}
	return assembleURL(what, pieces)
}

// checkURLTemplate finds, before any value is known, what would make every
// URL a template builds refused: a value in the host, no scheme, a "..".
func checkURLTemplate(tmpl string) error {
	t, err := newTemplate("url", tmpl)
	if err != nil || t.Tree == nil {
		return nil // reported as a bad template
	}
	var pieces []urlPiece
	for i, n := range t.Tree.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			pieces = append(pieces, urlPiece{text: string(n.Text)})
		default:
			// A stand-in that passes where a good value would.
			v := "x"
			if i == 0 {
				v = "http://base.invalid"
			}
			pieces = append(pieces, urlPiece{text: v, value: true})
		}
	}
	_, _, err = assembleURL("url", pieces)
	var ue *URLError
	if errors.As(err, &ue) {
		return errors.New(ue.Reason)
	}
	return err
}

// assembleURL builds the URL from its pieces and checks it.
func assembleURL(what string, pieces []urlPiece) (string, urlBase, error) {
	refuse := func(u, format string, args ...any) (string, urlBase, error) {
		return "", urlBase{}, &URLError{What: what, URL: u, Reason: fmt.Sprintf(format, args...)}
	}
	var base urlBase
	rest := pieces
	valuePath := "" // the path of a base URL given whole by a value
	switch {
	case len(pieces) == 0:
		return refuse("", "the URL is empty")
	case pieces[0].value:
		u, err := url.Parse(pieces[0].text)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
			return refuse(pieces[0].text, "a URL template that begins with a value needs that value to be an http(s) URL with a host")
		}
		if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
			return refuse(pieces[0].text, "the base URL a value gives may have no user, query or fragment")
		}
		valuePath = u.EscapedPath()
		base = urlBase{Scheme: u.Scheme, Host: u.Host, Path: valuePath}
		rest = pieces[1:]
		if len(rest) > 0 && (rest[0].value || !strings.ContainsAny(rest[0].text[:1], "/?#")) {
			return refuse("", "after the value that gives the base URL, the template must go on with /, ? or #")
		}
	default:
		lit := pieces[0].text
		scheme, after, ok := strings.Cut(lit, "://")
		scheme = strings.ToLower(scheme)
		if !ok || (scheme != "http" && scheme != "https") {
			return refuse("", "the URL template must begin with http:// or https://, or with a value that gives the base URL")
		}
		end := strings.IndexAny(after, "/?#")
		if end < 0 {
			if len(pieces) > 1 {
				return refuse("", "a value may not stand in the URL's host or port: write them out, or give the whole base URL as one value")
			}
			end = len(after)
		}
		u, err := url.Parse(scheme + "://" + after[:end])
		if err != nil || u.Host == "" || u.User != nil {
			return refuse(lit, "the URL template does not name a host (and may name no user)")
		}
		base = urlBase{Scheme: scheme, Host: u.Host}
		rest = append([]urlPiece{{text: after[end:]}}, pieces[1:]...)
	}

	// The path, query and fragment, values escaped for where they stand.
	const (
		inPath = iota
		inQuery
		inFragment
	)
	state := inPath
	var path, tail strings.Builder // tail: "?query#fragment"
	basePathDone := false
	for _, p := range rest {
		if !p.value {
			for _, r := range p.text {
				switch {
				case state == inPath && r == '?':
					state = inQuery
				case state != inFragment && r == '#':
					state = inFragment
				}
				if state == inPath {
					path.WriteRune(r)
				} else {
					tail.WriteRune(r)
				}
			}
			continue
		}
		if state == inPath {
			if !basePathDone {
				// The configured base path: the template's path up to the
				// segment the first value stands in.
				s := path.String()
				base.Path += s[:strings.LastIndex(s, "/")+1]
				basePathDone = true
			}
			path.WriteString(url.PathEscape(p.text))
		} else {
			tail.WriteString(url.QueryEscape(p.text))
		}
	}
	if !basePathDone {
		base.Path += path.String()
	}
	final := base.Scheme + "://" + base.Host + valuePath + path.String() + tail.String()
	if err := checkURL(final, base); err != nil {
		return refuse(final, "%s", err)
	}
	return final, base, nil
}

// urlPieces renders each top-level node of the template on its own: text
// stays text, every action becomes one value.
func urlPieces(what, tmpl string, vals map[string]string) ([]urlPiece, error) {
	t, err := newTemplate(what, tmpl)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var out []urlPiece
	if t.Tree == nil {
		return nil, nil
	}
	for _, n := range t.Tree.Root.Nodes {
		if tn, ok := n.(*parse.TextNode); ok {
			if len(tn.Text) > 0 {
				out = append(out, urlPiece{text: string(tn.Text)})
			}
			continue
		}
		v, err := render(what, n.String(), vals)
		if err != nil {
			return nil, err
		}
		out = append(out, urlPiece{text: v, value: true})
	}
	return out, nil
}

// checkURL reports how raw leaves base: another scheme, host or port, a
// user, a path outside the base path, or a "." or ".." segment (however
// it is percent-encoded).
func checkURL(raw string, base urlBase) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("it is not a URL (%v)", err)
	}
	switch {
	case !strings.EqualFold(u.Scheme, base.Scheme):
		return fmt.Errorf("its scheme %q is not the configured %q", u.Scheme, base.Scheme)
	case u.User != nil:
		return fmt.Errorf("it names a user, so its host is not the configured %s", base.Host)
	case !strings.EqualFold(u.Hostname(), hostOnly(base.Host)):
		return fmt.Errorf("its host %q is not the configured %q", u.Hostname(), hostOnly(base.Host))
	case u.Port() != portOnly(base.Host):
		return fmt.Errorf("its port %q is not the configured %q", u.Port(), portOnly(base.Host))
	}
	p := u.EscapedPath()
	if !underPath(p, base.Path) {
		return fmt.Errorf("its path %q leaves the configured base path %q", p, base.Path)
	}
	for _, seg := range strings.Split(p, "/") {
		if isDotSegment(seg) {
			if d := decodeAll(seg); d != seg {
				return fmt.Errorf("its path segment %q decodes to %q: a \".\" or \"..\" segment", seg, d)
			}
			return fmt.Errorf("its path has a %q segment", seg)
		}
	}
	return nil
}

func hostOnly(hostport string) string { return (&url.URL{Host: hostport}).Hostname() }
func portOnly(hostport string) string { return (&url.URL{Host: hostport}).Port() }

// underPath reports whether p is base or lies under it, segment-wise.
func underPath(p, base string) bool {
	if base == "" {
		return true
	}
	if !strings.HasPrefix(p, base) {
		return false
	}
	return len(p) == len(base) || strings.HasSuffix(base, "/") || p[len(base)] == '/'
}

// isDotSegment reports whether seg is, or holds, "." or ".." once decoded,
// however many times it was percent-encoded: a server or proxy that
// decodes before it routes, even twice, or that takes "\" for "/", must
// not see one either ("..%2Fadmin").
func isDotSegment(seg string) bool {
	for _, part := range strings.FieldsFunc(decodeAll(seg), func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == "." || part == ".." {
			return true
		}
	}
	return false
}

// decodeAll percent-decodes s until it stops changing (a few rounds).
func decodeAll(s string) string {
	for range 4 {
		d, err := url.PathUnescape(s)
		if err != nil || d == s {
			return s
		}
		s = d
	}
	return s
}

// target is the base a request must keep: the one its template named, or
// else its own URL's scheme and host.
func (req HTTPRequest) target() urlBase {
	if req.base.Host != "" {
		return req.base
	}
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Refused by checkURL: no scheme matches an empty one.
		return urlBase{Scheme: "http(s)", Host: "a named host"}
	}
	return urlBase{Scheme: u.Scheme, Host: u.Host}
}
