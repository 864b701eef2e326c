package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"sitrep/actions"
	"sitrep/sources/sanitize"
)

// Exit statuses, so that a script can tell a mistake in its own call from
// a refusal and from an action that ran and failed. README's "Exit codes"
// table and every command's --help say the same.
const (
	statusOK      = 0
	statusError   = 1 // anything else: a config, network or journal error
	statusUsage   = 2 // the command line itself: unknown flag or command, missing argument
	statusRefused = 3 // a guard, a parameter or a missing confirmation stopped the action
	statusFailed  = 4 // the action (or its dry run) ran and failed
)

// exitError carries the exit status an error means, for the errors whose
// type does not already say it.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks a mistake in how sitrep was called.
func usageError(err error) error { return &exitError{code: statusUsage, err: err} }

// refusedError marks an action that sitrep would not run.
func refusedError(err error) error { return &exitError{code: statusRefused, err: err} }

// failedError marks an action that ran and failed.
func failedError(err error) error { return &exitError{code: statusFailed, err: err} }

// exitCode is the one place an error becomes the process's exit status.
func exitCode(err error) int {
	if err == nil {
		return statusOK
	}
	var (
		ee      *exitError
		blocked *actions.BlockedError
		param   *actions.ParamError
		unknown *actions.UnknownParamError
		missing *actions.MissingParamError
	)
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &blocked), errors.As(err, &param), errors.As(err, &unknown), errors.As(err, &missing):
		return statusRefused
	}
	return statusError
}

// exitCodesHelp ends every command's --help; extra lines name the
// statuses only some commands use.
func exitCodesHelp(extra ...string) string {
	lines := append([]string{
		"Exit status:",
		"  0  done",
		"  1  error (configuration, network, journal, a check that found problems)",
		"  2  usage: an unknown command or flag, a missing or extra argument, a bad flag value",
	}, extra...)
	return strings.Join(lines, "\n")
}

// runExitCodes are the statuses only `sitrep run` uses.
var runExitCodes = []string{
	"  3  refused: a guard blocked it (with --dry-run too), a parameter was refused,",
	"     or the confirmation it needs was not given",
	"  4  the action ran and failed: non-zero exit, HTTP error, timeout, cancelled;",
	"     with --dry-run, its dry run failed",
}

// exitCodesAnnotation is the cobra annotation through which a command asks
// for more lines in its exit-status help.
const exitCodesAnnotation = "sitrep-exit-codes"

// shellConventions gives every command in the tree the same exit statuses:
// flag and argument mistakes are usage errors, a command group given an
// unknown subcommand says so (cobra would print the group's help and exit
// 0), and each --help ends with the exit statuses.
func shellConventions(root *cobra.Command) {
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	cobra.AddTemplateFunc("sitrepExitCodes", exitCodesFooter)
	root.SetUsageTemplate(strings.TrimRight(root.UsageTemplate(), "\n") + "\n{{sitrepExitCodes .}}")
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.HasSubCommands() && !c.Runnable() {
			c.Args = cobra.ArbitraryArgs
			c.RunE = groupRun
		}
		if c.Args != nil {
			c.Args = usageArgs(c.Args)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// exitCodesFooter is the help's last paragraph: the exit statuses, with
// the lines the command's annotation adds.
func exitCodesFooter(c *cobra.Command) string {
	var extra []string
	if more := c.Annotations[exitCodesAnnotation]; more != "" {
		extra = strings.Split(more, "\n")
	}
	return "\n" + exitCodesHelp(extra...) + "\n"
}

// usageArgs makes an argument validator's refusal a usage error that
// shows how the command is called.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			if cmd.HasAvailableSubCommands() && len(args) > 0 {
				return unknownCommand(cmd, args[0])
			}
			return usageError(fmt.Errorf("%w; usage: %s", err, cmd.UseLine()))
		}
		return nil
	}
}

// groupRun is a command group's run: its help without arguments, else the
// unknown subcommand.
func groupRun(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	return unknownCommand(cmd, args[0])
}

// unknownCommand names a subcommand that cmd does not have, with the
// nearest ones.
func unknownCommand(cmd *cobra.Command, name string) error {
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's own default for its suggestions
	}
	msg := fmt.Sprintf("unknown command %q for %q", name, cmd.CommandPath())
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
	}
	return usageError(fmt.Errorf("%s; run %s --help for its commands", msg, cmd.CommandPath()))
}

// dryRunStatus is how `sitrep run --dry-run` ends: refused when the guards
// block the run it previewed, failed when its dry run failed, else done.
func dryRunStatus(name string, v actions.Verdict, dry *actions.Result) error {
	if !v.Allowed {
		return &actions.BlockedError{Verdict: v}
	}
	if dry != nil && !dry.OK {
		return failedError(fmt.Errorf("%s: the dry run failed: %s", name, sanitize.Line(dry.Text)))
	}
	return nil
}
