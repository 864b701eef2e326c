// Package actions is sitrep's remediation layer: the catalogue of actions
// (from actions.yaml files and Markdown runbooks), parameter checking and
// rendering, the guardrails, the runners (exec, ansible, http, pagerduty),
// and the Plan that previews, dry-runs, confirms and runs one action while
// reporting every step as a Record for the journal.
//
// Invariants:
//   - nothing passes through a shell: every argv element is rendered from
//     its own template, and rendered values are never joined and split;
//   - every value that reaches a template (given by the user, a default,
//     taken from the incident or supplied by sitrep) has first matched its
//     parameter's anchored pattern;
//   - a value that begins with "-" is refused unless its parameter says
//     allow_leading_dash: even as one argv element, "--all" is read as an
//     option by the program that receives it; `sitrep actions check` warns
//     about a pattern that admits such a value without the opt-in;
//   - a child process sees only the environment the action names, plus
//     PATH, HOME and LANG;
//   - output and records pass through a Redactor before anyone sees them,
//     and it knows every value passed through from sitrep's environment;
//   - an action runs only where its applies: offers it, whatever
//     --service or --env say;
//   - ansible extra vars reach ansible-playbook from a private file, every
//     value tagged !unsafe, so Jinja never evaluates a parameter's value;
//   - an HTTP runner never follows a redirect, and its URL is built, not
//     only rendered: the template names the scheme, host, port and base
//     path (written out, or one value that is the whole base URL); values
//     fill path segments, percent-encoded, and query values; a "." or ".."
//     segment, however encoded, is refused; and the URL is checked against
//     that base again before any secret header is attached.
//
// # actions.yaml
//
// Every field, with an example value; a comment gives the default when
// there is one. An action sets runner and the one block that matches it.
//
//	include: [more.yaml]            # more catalogue files, relative to this one
//	guards:                         # per environment; "*" applies to every environment
//	  prod:
//	    confirm: typed              # none | yes/no | typed (prod and high risk are always typed)
//	    max_hosts: 5                # hosts one run may touch; default no limit
//	    max_percent: 25             # of the fleet (ansible: hosts without --limit); default no limit
//	    rate_limit: {max: 2, window: 30m}   # runs per action per service; default none
//	    windows:                    # when it may run; default any time
//	      - {days: mon-fri, from: "08:00", to: "18:00", zone: Europe/Paris}   # days: mon..sun, ranges, lists or daily; zone default UTC
//	    require_dry_run: true       # a run needs a dry run that passed; default false
//	    refuse_resolved: true       # the default
//	    approval: {required: true, approvers: [PTEAM01, PUSER02], expires: 15m}   # a second PagerDuty user, a member of one of these teams or one of these users, approves each run; default none; expires default 15m, at most 24h
//	    allow_auto: true            # auto: actions may run here; default true, but false in production (prod, production, live)
//	actions:
//	  - name: restart_service       # required: lower case letters, digits and _
//	    title: Restart the service  # default the name
//	    explain: what it does and why it is safe   # required
//	    applies:                    # every list empty (the default): offered everywhere
//	      services: [payment-*]     # service names or globs
//	      envs: [staging, prod]
//	      categories: [infra]       # the incident's category
//	      title_patterns: ["5xx"]   # unanchored regexps over the incident's title
//	    params:
//	      service: {pattern: '[a-z0-9][a-z0-9-]*', from: service}   # service | env | incident_id | incident_number | caller
//	      replicas: {pattern: '[2-9]', default: "4", help: how many}
//	      offset: {pattern: '-?[0-9]+', allow_leading_dash: true}   # values may begin with "-"
//	    runner: exec                # exec | ansible | http | pagerduty
//	    exec:
//	      argv: [kubectl, rollout, restart, "deploy/{{.service}}"]
//	      dry_run: [kubectl, rollout, restart, "deploy/{{.service}}", --dry-run=server]   # default none
//	      env: [KUBECONFIG, "REGION={{.region}}"]   # passed from sitrep's environment, or set
//	      dir: /srv/ops             # working directory; default sitrep's
//	    ansible:
//	      playbook: p.yml           # relative to this file; --check --diff is the dry run
//	      inventory: "localhost,"
//	      connection: local
//	      limit: "{{.service}}"
//	      extra_vars: {replicas: "{{.replicas}}"}
//	      env: [ANSIBLE_CONFIG]
//	      fleet_pattern: all        # the hosts max_percent counts against; the default
//	    http:
//	      method: POST              # the default
//	      url: "{{.base}}/scale/{{.service}}"
//	      headers: {Content-Type: application/json}
//	      secret_headers:           # never shown; each takes env or token_cmd
//	        Authorization: {env: API_TOKEN, prefix: "Bearer "}
//	        X-Api-Key: {token_cmd: [pass, show, api-key]}
//	      body: '{"replicas": {{.replicas}}}'
//	      json: true                # JSON-escape values in body; default: when Content-Type says JSON
//	      dry_run: {method: POST, url: "{{.base}}/scale/{{.service}}?dry_run=true", body: "{}"}   # method default the action's
//	    pagerduty: {op: escalate, args: {level: "{{.level}}"}}   # reassign escalate snooze merge urgency priority add_responder status_update
//	    risk: medium                # required: low | medium | high
//	    timeout: 2m                 # default 5m
//	    guards: {confirm: yes/no}   # as under guards:; a field set here wins over the environment's
//	    announce: {pagerduty: true, slack_webhook_env: SITREP_SLACK_WEBHOOK, before: false}   # a note on the incident (default true); Slack default none; before: announce before the run too, not only after
//	    auto:                       # sitrep may run it by itself once armed; default never (see Notify-first automation)
//	      when:                     # every condition written must hold
//	        envs: [staging]         # required; production needs allow_auto: true in its guards
//	        services: [search-*]    # names or globs; default the action's
//	        classes: [capacity]     # triage classes, one of which the incident has; default any
//	        alert: {source: "^indexer-", severity: warning}   # summary | severity | source → an unanchored regexp; all in one alert; default any
//	        max_age: 10m            # the incident is at most this old when first seen; default any age
//	        urgency: high           # high | low; default either
//	      notify_first: 2m          # required, 10s to 1h: the countdown between the announcement and the run
//	      max_runs_per_incident: 1  # the default; 1 to 10
//	      max_runs_per_hour: 3      # on every incident together; the default; 1 to 60
//	    changes: nothing            # a read-only diagnostic; only http GET/HEAD may say so
//
// # Two-person approval
//
// An approval guard holds a run until another PagerDuty user approves
// it. The preview then offers "request approval" instead of "run": the
// typed confirmation is the request, which sitrep posts as a note on the
// incident (package approval: the human-readable account, then a fenced
// sitrep-approval block with the request ID, the action, its parameters,
// the SHA-256 of the rendered plan and the expiry). An approver's sitrep
// prepares the same plan from its own catalogue and compares the hash; the
// decision is another note, whose PagerDuty author is the approver. The
// requester's sitrep reads it, refuses one written by the requester, and
// runs the plan through every other guard again.
//
// # Built-in PagerDuty operations
//
// Every catalogue, even an empty one, offers these for every incident
// (runner pagerduty, the incident's ID as target, no announcement note:
// PagerDuty's own log records the change and its author). An action of
// the same name in the catalogue replaces one.
//
//	snooze         duration     [1-9][0-9]{0,3}m|[1-9][0-9]{0,2}h, default 1h   risk low
//	reassign       user_id      [A-Z0-9]{2,32}                                  risk medium
//	escalate       level        [1-9], default 2                                risk low
//	add_responder  user_id, message (one printable line, default given)         risk low
//	merge          source_ids   IDs separated by commas                         risk high
//	set_urgency    urgency      high|low                                        risk low
//	set_priority   priority_id  [A-Z0-9]{2,32}                                  risk low
//	status_update  message      one printable line of at most 1000 characters   risk low
//
// A PagerDuty write has no dry run by nature: require_dry_run does not
// block it, and the dry_run rule of its verdict says why.
//
// # Read-only diagnostics
//
// changes: nothing declares that an action changes nothing. It is
// previewed and journaled like any action, a required dry run does not
// apply to it, and its confirmation is only its own guards.confirm (none
// by default): never raised to typed by production or high risk, and the
// environment's confirm does not apply. The claim is accepted only where
// sitrep can see it is true: an http action whose method, and its dry
// run's, is GET or HEAD. exec and ansible can always write (a program does
// what it likes; a playbook task may set check_mode: false even under
// --check), and pagerduty always writes: on those the claim is a problem
// reported by `sitrep actions check`, and Prepare refuses it too.
//
// # Notify-first automation
//
// An action with an auto: block may run without a person confirming it,
// and only when an engineer has armed sitrep for the session (ctrl+a or
// --arm; `sitrep watch` is always armed). When an incident that triggered
// after arming matches the block's when:, sitrep announces on it "sitrep
// will run ACTION on SERVICE at 03:14 UTC unless vetoed — armed by NAME"
// (a PagerDuty note, and Slack when the action has a webhook), counts down
// notify_first, and then prepares and runs the action through every guard
// like any run, journaled as "sitrep (armed by NAME)". A veto cancels it:
// the v key in any sitrep on the team, or a note reading "veto" on the
// incident (its PagerDuty author is who vetoed). max_runs_per_incident and
// max_runs_per_hour count the runs and the countdowns still pending.
// `sitrep actions check` refuses an auto: block in a production
// environment whose guards do not say allow_auto: true, and one whose
// when.envs leaves the action's applies.envs.
//
// # sitrep actions check
//
// Check reports every problem at its file, line and column, once: a
// runbook that uses an action whose own definition has a problem is not
// reported again. It also reports every action that a guard can never
// allow in an environment it applies to (require_dry_run on an action
// with no dry run, max_hosts: 0, only empty time windows); Load keeps such
// an action, whose preview names the rule, but the check fails.
//
// # Runbooks
//
// A Markdown file under runbooks/ beside actions.yaml (subdirectories
// too). Its front matter is optional; task-list items are manual steps the
// engineer ticks off; a fenced block with attributes on its fence line is
// an action, and the prose just before it (after the last heading or list)
// is its explanation. The block's language is sh, bash, shell, console or
// none: it runs with the exec runner. Its body is one command line, split
// into argv elements before any value is known: quotes and backslashes work
// as in a shell, but pipes, redirections, $VAR and $(...) are refused,
// since nothing passes through a shell.
//
//	---
//	title: Cache trouble            # default the first heading, else the file name
//	services: [payment-gateway]     # its actions' services unless a fence says services=
//	---
//	# Cache trouble
//
//	- [ ] check the cache hit rate on the dashboard
//
//	Flushing drops cached sessions; users sign in again.
//
//	```sh {name=flush_cache risk=low envs=staging,prod param.region="[a-z]+-[0-9]" default.region=eu-1}
//	cachectl flush --service={{.service}} --region={{.region}}
//	```
//
//	```sh {use=restart_service}
//	```
//
// # Runbook fence attributes
//
// Values with spaces are double-quoted. service, env, incident_id and
// incident_number need no declaration: a block that uses them gets them
// from the incident.
//
//	name=flush_cache                  required: lower case letters, digits and _
//	title="Flush the cache"           default the name
//	risk=low                          required: low | medium | high
//	envs=staging,prod                 environments it is offered in; default all
//	services=payment-*,checkout       services (names or globs); default the front matter's
//	runner=exec                       the only runner a block may use (the default)
//	timeout=2m                        default 5m
//	env=KUBECONFIG,REGION={{.region}}   variables passed from sitrep's environment, or set
//	confirm=typed                     none | yes/no | typed, as the confirm guard
//	require_dry_run=true              as the require_dry_run guard
//	dry_run="cachectl flush --dry-run --region={{.region}}"   a command line, split like the body
//	announce_before=true              announce before the run too
//	pagerduty=false                   no announcement note on the incident
//	slack_webhook_env=SITREP_SLACK_WEBHOOK   announce to the webhook this variable holds
//	changes=nothing                   refused on a block: see Read-only diagnostics
//	use=restart_service               places a catalogue action; the body stays empty
//	.action                           a bare marker (a Pandoc-style class), accepted and ignored
//	param.region="[a-z]+-[0-9]"       parameter region's pattern, matched anchored
//	default.region=eu-1               its default
//	from.region=service               where its value comes from, as params' from:
//	allow_leading_dash.region=true    its values may begin with "-"
package actions
