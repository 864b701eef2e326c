package tui

// errText is how an error becomes text in the model: one line, stripped
// of control sequences (errors quote answers' bodies and commands'
// stderr), with every secret sitrep knows masked. Every err.Error() bound
// for the screen goes through it.
func (m Model) errText(err error) string {
	return m.opts.Secrets.Error(err)
}
