package supervise

import (
	"sync"
	"sync/atomic"
)

// Process is a command started by Start, in either mode.
type Process struct {
	pid  int
	done chan struct{}
	exit Exit

	once  sync.Once
	stop  func() // asks the run to end; called once
	asked atomic.Bool
}

// Pid is the command's process ID, which is also its process group's.
func (p *Process) Pid() int { return p.pid }

// Terminate asks for the end of the run: SIGTERM to the command's group
// (and, supervised, to every process it started), SIGKILL to what is left
// after the grace period. It returns at once; Wait reports the end.
func (p *Process) Terminate() {
	p.once.Do(func() {
		p.asked.Store(true)
		p.stop()
	})
}

// Done is closed when the run has ended: the command has exited and no
// process of its group (supervised: no process it started) is left.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for Done and returns how the command ended.
func (p *Process) Wait() Exit {
	<-p.done
	return p.exit
}

// finish records how the run ended and ends it.
func (p *Process) finish(ex Exit) {
	ex.Terminated = p.asked.Load()
	p.exit = ex
	close(p.done)
}
