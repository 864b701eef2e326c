package tui

import "sitrep/sources/sanitize"

// displayErr is how an error becomes text on the screen: one line,
// stripped of control sequences (errors quote answers' bodies and
// commands' stderr), with every secret sitrep knows masked. Every
// err.Error() bound for the screen goes through it.
func displayErr(secrets *sanitize.Secrets, err error) string {
	return secrets.Error(err)
}

// errText is displayErr with the cockpit's secrets.
func (m Model) errText(err error) string {
	return displayErr(m.opts.Secrets, err)
}

type errorString string

func (e errorString) Error() string { return string(e) }
