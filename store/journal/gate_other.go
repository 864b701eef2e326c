//go:build !unix

package journal

// gate is a no-op without flock: a snapshot then relies on the meta pages'
// txid check alone.
type gate struct{}

func openGate(string, bool) *gate             { return nil }
func (g *gate) enterCommit() (leave func())   { return func() {} }
func (g *gate) holdCommits() (release func()) { return func() {} }
func (g *gate) close()                        {}
