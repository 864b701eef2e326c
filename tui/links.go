package tui

import (
	"fmt"
	"net/url"
	"strings"

	"sitrep/sources/sanitize"
)

// What leaves sitrep for another program (the browser behind o, the
// clipboard behind y) comes from PagerDuty, so it is checked here first:
// an OSC 52 payload is pasted later into some other terminal, and a link
// is handed to whatever the desktop opens it with.

// webLink returns link if it is a web address sitrep may hand to a
// browser: http or https, with a host, and nothing hidden in it. A
// javascript:, file: or other link from PagerDuty is refused with why.
func webLink(link string) (string, error) {
	if sanitize.Line(link) != link {
		return "", fmt.Errorf("the link holds control or invisible characters")
	}
	u, err := url.Parse(link)
	if err != nil {
		return "", fmt.Errorf("the link is not a URL (%v)", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "":
		return "", fmt.Errorf("the link %q has no scheme; only http and https links open", link)
	default:
		return "", fmt.Errorf("the link's scheme %q is not http or https", u.Scheme+":")
	}
	if u.Host == "" {
		return "", fmt.Errorf("the link %q names no host", link)
	}
	return link, nil
}

// clipboardText is what y may copy: one line, with no terminal control
// sequence and no invisible character, so that pasting it runs nothing.
func clipboardText(s string) string { return sanitize.Line(s) }
