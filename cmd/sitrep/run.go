package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"sitrep/actions"
	"sitrep/sources/sanitize"
)

func newActionsCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "actions", Short: "Check and list the remediation catalogue"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check [PATH...]",
		Short: "Validate actions.yaml and the runbooks; print file:line:column and what is wrong",
		RunE: func(cmd *cobra.Command, args []string) error {
			paths, err := g.catalogueArgs(cmd, args)
			if err != nil {
				return err
			}
			return checkCatalogue(cmd.OutOrStdout(), paths)
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "ls [PATH...]",
		Short: "List the actions and runbooks",
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			paths, err := g.catalogueArgs(cmd, args)
			if err != nil {
				return err
			}
			if err := requireCatalogue(args, paths); err != nil {
				return err
			}
			cat, problems := actions.Load(paths...)
			for _, p := range problems {
				fmt.Fprintln(cmd.ErrOrStderr(), sanitize.Line(p.String()))
			}
			defer func() {
				// Like check: a listing of a broken catalogue is not a success.
				if len(problems) > 0 && err == nil {
					err = fmt.Errorf("%d problem(s) in %s; sitrep actions check %s shows them with the fix", len(problems), strings.Join(paths, ", "), strings.Join(paths, " "))
				}
			}()
			// Cut to a terminal's width; whole lines to a pipe or a file.
			width := 0
			if f, ok := cmd.OutOrStdout().(*os.File); ok && term.IsTerminal(f.Fd()) {
				width, _, _ = term.GetSize(f.Fd())
			}
			actions.WriteList(cmd.OutOrStdout(), cat, width)
			return nil
		},
	})
	return cmd
}

// catalogueArgs are the paths to read: the arguments, or the configured
// actions directory.
func (g globalFlags) catalogueArgs(cmd *cobra.Command, args []string) ([]string, error) {
	if len(args) > 0 {
		return args, nil
	}
	cfg, err := g.settings(cmd)
	if err != nil {
		return nil, err
	}
	return []string{cfg.actionsDir()}, nil
}

func newRunCmd(g *globalFlags) *cobra.Command {
	var (
		incident string
		params   []string
		dryRun   bool
		confirm  string
	)
	cmd := &cobra.Command{
		Use:   "run ACTION --incident INCIDENT [--param k=v ...] [--dry-run] [--confirm SERVICE]",
		Short: "Preview, dry-run and run an action on an incident, through the same guards and journal as the TUI",
		Long: `run prepares the action for the incident and prints its preview (the exact
argv or request, target, blast radius, guard verdict) and its dry run. With
--dry-run it stops there. Otherwise it asks for the confirmation the guards
require (the service's name, typed, for production or high risk) and runs the
action, streaming its output. Without a terminal, the confirmation must be
given as --confirm SERVICE, or nothing runs.

When a running sitrep holds the journal (the cockpit in another pane), the
run goes through it: its engine, guards, rate limits and journal, with the
preview, prompt and output here and the same exit status.`,
		Annotations: map[string]string{exitCodesAnnotation: strings.Join(runExitCodes, "\n")},
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if incident == "" {
				return usageError(errors.New("--incident is required: the PagerDuty incident the action is for"))
			}
			given := map[string]string{}
			for _, p := range params {
				k, v, ok := strings.Cut(p, "=")
				if !ok || k == "" {
					return usageError(fmt.Errorf("--param %q: write it as name=value", p))
				}
				given[k] = v
			}
			interactive := term.IsTerminal(os.Stdin.Fd())
			return runAction(cmd, g, args[0], incident, given, dryRun, confirm, interactive, cmd.InOrStdin())
		},
	}
	cmd.Flags().StringVar(&incident, "incident", "", "the incident: its number (#9 or 9) or PagerDuty ID (Q000009)")
	cmd.Flags().StringArrayVar(&params, "param", nil, "parameter as name=value (repeatable)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show the preview and the dry run, run nothing")
	cmd.Flags().StringVar(&confirm, "confirm", "", "the confirmation, for runs without a terminal: the service's name")
	addRunCompletions(cmd, g)
	return cmd
}

func runAction(cmd *cobra.Command, g *globalFlags, name, incidentID string, given map[string]string, dryRun bool, confirm string, interactive bool, stdin io.Reader) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w := cmd.OutOrStdout()
	req := runRequest{action: name, incident: incidentID, params: given, dryRun: dryRun, confirm: confirm, interactive: interactive}

	// A running sitrep that holds the journal takes the run through its
	// door (door.go), with its own environment; none answering, the run
	// is this process's, and a journal held by a sitrep without a door
	// is the lock error it always was.
	if ran, err := runThroughDoor(ctx, cmd, g, req, stdin); ran {
		return err
	}
	env, err := g.environment(cmd)
	if err != nil {
		return err
	}
	defer env.Close()
	if notice, err := env.markInterrupted(ctx); notice != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "sitrep: %s\n\n", sanitize.Line(notice))
	} else if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "sitrep: %v\n\n", err)
	}
	in := bufio.NewReader(stdin)
	ask := func(prompt string) (string, error) {
		fmt.Fprint(w, prompt)
		line, _ := in.ReadString('\n')
		return line, nil
	}
	return runPlan(ctx, env, env.remediation, w, ask, req)
}

// runRequest is one `sitrep run`, as its flags give it.
type runRequest struct {
	action, incident string
	params           map[string]string
	dryRun           bool
	confirm          string
	// interactive is whether the engineer has a terminal to confirm on.
	interactive bool
}

// askFunc shows a prompt at the engineer's terminal and returns the line
// they typed; an error means no answer can come.
type askFunc func(prompt string) (string, error)

// runPlan is every run of `sitrep run`, in this process or through the
// door: resolve the incident, prepare, preview, dry run, judge the guards,
// confirm, run, record the outcome. Everything it writes to w is
// sanitized already.
func runPlan(ctx context.Context, env *environment, rem *remediation, w io.Writer, ask askFunc, req runRequest) error {
	name := req.action
	// #9, 9 or Q000009: the journal knows the numbers it has seen, and
	// PagerDuty the rest.
	incidentID, err := resolveIncident(ctx, req.incident, env.journal, env.feed)
	if err != nil {
		return err
	}
	d, err := env.feed.Detail(ctx, incidentID)
	if err != nil {
		return err
	}
	plan, err := rem.Prepare(ctx, name, req.params, d.Incident)
	if err != nil {
		if _, known := rem.engine.Catalogue.Lookup(name); !known {
			return usageError(err)
		}
		return paramsInCLISyntax(err)
	}
	printPreview(w, plan)
	var dry *actions.Result // the dry run's result, when the action has one
	if plan.Runner().HasDryRun() {
		fmt.Fprintln(w, "\n-- dry run --")
		res := plan.DryRun(ctx, func(c actions.Chunk) { fmt.Fprint(w, sanitize.Text(c.Text)) })
		fmt.Fprintf(w, "\n-- dry run: %s --\n", sanitize.Line(res.Text))
		dry = &res
	} else {
		fmt.Fprintf(w, "\n%s\n", plan.Preview.DryRunNote)
	}
	v := plan.Evaluate()
	fmt.Fprintf(w, "\nguards: %s\n%s\n", v.String(), v.Explain())
	if req.dryRun {
		return dryRunStatus(name, v, dry)
	}
	if !v.Allowed {
		return &actions.BlockedError{Verdict: v}
	}
	answer := req.confirm
	if answer == "" && v.Confirm != actions.ConfirmNone {
		if !req.interactive {
			return refusedError(fmt.Errorf("no terminal to confirm on: give --confirm %s to run %s", plan.Target.Service, name))
		}
		prompt := "Run it? [y/N] "
		if v.Confirm == actions.ConfirmTyped {
			prompt = fmt.Sprintf("Type %q to run %s in %s: ", plan.Target.Service, name, plan.Target.Env)
		}
		line, err := ask(prompt)
		if err != nil {
			return refusedError(fmt.Errorf("no confirmation for %s: %w", name, err))
		}
		answer = strings.TrimSpace(line)
	}
	if err := plan.Confirm(answer); err != nil {
		if req.confirm != "" {
			err = fmt.Errorf("--confirm %s: %w", req.confirm, err)
		}
		return refusedError(err)
	}
	fmt.Fprintln(w, "\n-- run --")
	res, err := plan.Run(ctx, func(c actions.Chunk) { fmt.Fprint(w, sanitize.Text(c.Text)) })
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n-- %s in %s --\n", sanitize.Line(res.Text), res.Duration.Round(100*time.Millisecond))
	plan.RecordOutcome("unknown", nil)
	if !res.OK {
		return failedError(fmt.Errorf("%s: %s", name, sanitize.Line(res.Text)))
	}
	return nil
}

func printPreview(w io.Writer, p *actions.Plan) {
	fmt.Fprintf(w, "%s (%s) — risk %s\n\n%s\n\n", p.Action.Title, p.Action.Name, p.Risk(), strings.TrimSpace(p.Explain()))
	fmt.Fprintf(w, "target:  %s (%s), incident %s\n", p.Target.Service, p.Target.Env, p.Target.IncidentID)
	fmt.Fprintf(w, "runs:    %s\n", quoteArgv(p.Preview.Command))
	if p.Preview.Body != "" {
		fmt.Fprintf(w, "body:    %s\n", p.Preview.Body)
	}
	if len(p.Preview.Env) > 0 {
		fmt.Fprintf(w, "env:     %s\n", strings.Join(p.Preview.Env, " "))
	}
	if len(p.BlastRadius) > 0 {
		fmt.Fprintf(w, "touches: %s (limit %s)\n", strings.Join(p.BlastRadius, ", "), orDash(p.Limit))
	}
}

func quoteArgv(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\"'\\$`") {
			out[i] = fmt.Sprintf("%q", a)
		} else {
			out[i] = a
		}
	}
	return strings.Join(out, " ")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
