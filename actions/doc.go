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
//	include: [more.yaml]            # relative to this file
//	guards:                         # per environment; "*" applies to all
//	  prod:
//	    confirm: typed              # none | yes/no | typed (prod and high risk are always typed)
//	    max_hosts: 5
//	    max_percent: 25             # of the fleet (ansible: hosts without --limit)
//	    rate_limit: {max: 2, window: 30m}   # per action per service
//	    windows: [{days: mon-fri, from: "08:00", to: "18:00", zone: Europe/Paris}]
//	    require_dry_run: true
//	    refuse_resolved: true       # the default
//	actions:
//	  - name: restart_service
//	    title: Restart the service
//	    explain: what it does and why it is safe   # required
//	    applies: {services: [payment-*], envs: [staging, prod], categories: [], title_patterns: ["5xx"]}
//	    params:
//	      service: {pattern: '[a-z0-9-]+', from: service}   # service | env | incident_id | incident_number | caller
//	      replicas: {pattern: '[2-9]', default: "4", help: how many}
//	      offset: {pattern: '-?[0-9]+', allow_leading_dash: true}   # values may begin with "-"
//	    runner: exec                # exec | ansible | http | pagerduty, with the matching block:
//	    exec: {argv: [kubectl, rollout, restart, "deploy/{{.service}}"], dry_run: [...], env: [KUBECONFIG, "X={{.service}}"]}
//	    ansible: {playbook: p.yml, inventory: "localhost,", connection: local, limit: "{{.service}}", extra_vars: {k: "{{.v}}"}}
//	    http: {method: POST, url: "{{.base}}/x", headers: {Content-Type: application/json},
//	           secret_headers: {Authorization: {env: TOKEN, prefix: "Bearer "}},   # or token_cmd: [argv]
//	           body: '{"ip": "{{.ip}}"}', dry_run: {url: "{{.base}}/x?dry_run=true"}}
//	    pagerduty: {op: escalate, args: {level: "{{.level}}"}}   # reassign escalate snooze merge urgency priority add_responder status_update
//	    risk: medium                # low | medium | high
//	    timeout: 2m
//	    guards: {...}               # as above; overrides the environment's
//	    announce: {pagerduty: true, slack_webhook_env: SITREP_SLACK_WEBHOOK}
//	    notify_first: false
//	    changes: nothing            # a read-only diagnostic; only http GET/HEAD may say so
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
// A Markdown file (runbooks/*.md beside actions.yaml) with front matter
// (title, services). Task-list items ("- [ ] check the dashboard") are
// manual steps. A fenced block with attributes on its fence line is an
// action; the prose just before it is its explanation:
//
//	```sh {name=flush_cache risk=low envs=staging,prod param.region="[a-z]+-[0-9]" default.region=eu-1}
//	cachectl flush --service={{.service}} --region={{.region}}
//	```
//
// Fence attributes: name, title, risk, envs, services, runner (exec only),
// timeout, env (variables passed, comma-separated), confirm,
// require_dry_run=true, dry_run (a command line), notify_first=true,
// pagerduty=false (no announcement note), slack_webhook_env, changes
// (nothing; refused on an exec block, see above), use (a catalogue action
// by name), and per parameter param.NAME (its pattern), default.NAME,
// from.NAME. allow_leading_dash.NAME=true lets NAME's values begin with "-".
// service, env, incident_id and incident_number need no declaration. A
// block {use=NAME} with an empty body places a catalogue action in the
// runbook.
package actions
