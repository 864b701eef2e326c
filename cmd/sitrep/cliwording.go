package main

import (
	"errors"
	"fmt"
	"strings"

	"sitrep/actions"
)

// cliWording is an actions error reworded for the command line. The
// actions package words parameter refusals for the cockpit's `:` command
// mode (--NAME=VALUE); `sitrep run` takes --param NAME=VALUE, and a
// message should name what the engineer types where they read it. The
// original error stays reachable through Unwrap, for exitCode.
type cliWording struct {
	msg string
	err error
}

func (e *cliWording) Error() string { return e.msg }
func (e *cliWording) Unwrap() error { return e.err }

// paramsInCLISyntax rewords an unknown or missing parameter in `sitrep run`
// syntax and leaves every other error as it is.
func paramsInCLISyntax(err error) error {
	var (
		unknown *actions.UnknownParamError
		missing *actions.MissingParamError
	)
	switch {
	case errors.As(err, &unknown):
		msg := fmt.Sprintf("%s has no parameter %q", unknown.Action, unknown.Param)
		if unknown.Suggest != "" {
			msg += fmt.Sprintf(" (did you mean --param %s=…?)", unknown.Suggest)
		}
		if len(unknown.Known) == 0 {
			msg += "; it takes no parameters"
		} else {
			msg += "; its parameters: " + strings.Join(unknown.Known, ", ") + ", each given as --param NAME=VALUE"
		}
		return &cliWording{msg: msg, err: err}
	case errors.As(err, &missing):
		return &cliWording{
			msg: fmt.Sprintf("%s: missing parameter %s: give --param %s=VALUE (pattern ^(%s)$)", missing.Action, missing.Param, missing.Param, missing.Pattern),
			err: err,
		}
	}
	return err
}
