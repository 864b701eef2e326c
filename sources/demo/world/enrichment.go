package world

// MetricQuery is one chart of a service's Metrics pane.
type MetricQuery struct {
	Name      string   // what the pane calls it: "5xx rate"
	PromQL    string   // the query, answered by the world's metrics endpoint
	Unit      string   // shown beside values; empty for ratios
	Threshold *float64 // drawn as a line when set
}

// ServiceEnrichment is what the cockpit queries for one service of the
// demo world: its environment, its metrics, and its logs.
type ServiceEnrichment struct {
	Service     string // the PagerDuty service's name
	Env         string // "prod" or "staging"
	Metrics     []MetricQuery
	LogSelector string // LogQL stream selector for the world's Loki endpoint
}

// The queries the world answers, by exact text. The alert in story.go
// quotes the first two.
const (
	qPaymentErrors  = `sum(rate(http_requests_total{service="payment-gateway",code=~"5.."}[5m])) / sum(rate(http_requests_total{service="payment-gateway"}[5m]))`
	qDBConnsAlert   = `pg_stat_activity_count{datname="checkout"}`
	qPaymentRate    = `sum(rate(http_requests_total{service="payment-gateway"}[5m]))`
	qPaymentP99     = `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="payment-gateway"}[5m]))) * 1000`
	qDBConns        = `sum(pg_stat_activity_count{datname="checkout"})`
	qDBWait         = `max(pgbouncer_pools_client_maxwait_seconds{database="checkout"})`
	qCheckoutErrors = `sum(rate(http_requests_total{service="checkout-api",code=~"5.."}[5m])) / sum(rate(http_requests_total{service="checkout-api"}[5m]))`
	qCheckoutDisk   = `max(1 - node_filesystem_avail_bytes{service="checkout-api",mountpoint="/var/lib/checkout-api"} / node_filesystem_size_bytes{service="checkout-api",mountpoint="/var/lib/checkout-api"})`
	qEdgeHealth     = `min(probe_success{job="blackbox",region="eu-west-1",instance="https://edge-euw1.sitrep-demo.example/healthz"})`
	qEdgeRate       = `sum(rate(nginx_http_requests_total{service="edge-proxy"}[5m]))`
	qQueueDepth     = `sum(billing_queue_depth{queue="invoices"})`
	qWebhookFails   = `sum(rate(stripe_webhook_signature_failures_total[5m])) / sum(rate(stripe_webhooks_received_total[5m]))`
	qAuthP99        = `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="auth-service",route="/oauth/token"}[5m]))) * 1000`
	qAuthRate       = `sum(rate(http_requests_total{service="auth-service",route="/oauth/token"}[5m]))`
	qIndexerLag     = `max(search_indexer_lag_seconds{env="staging"})`
	qIndexerRate    = `sum(rate(search_indexer_documents_indexed_total{env="staging"}[5m]))`
)

func threshold(v float64) *float64 { return &v }

// EnrichmentConfig is the demo world's enrichment settings, one entry per
// service in the cast's order. Every query in it is registered on the
// world's metrics endpoint by its exact text, and every selector on its
// Loki endpoint; the caller maps them into its own config. Each call
// returns fresh values.
func EnrichmentConfig() []ServiceEnrichment {
	return []ServiceEnrichment{
		{
			Service: "payment-gateway", Env: "prod",
			Metrics: []MetricQuery{
				{Name: "5xx rate", PromQL: qPaymentErrors, Threshold: threshold(0.05)},
				{Name: "requests", PromQL: qPaymentRate, Unit: "req/s"},
				{Name: "p99 latency", PromQL: qPaymentP99, Unit: "ms", Threshold: threshold(800)},
			},
			LogSelector: `{app="payment-gateway",env="prod"}`,
		},
		{
			Service: "billing-worker", Env: "prod",
			Metrics: []MetricQuery{
				{Name: "invoice queue depth", PromQL: qQueueDepth, Unit: "jobs", Threshold: threshold(1000)},
				{Name: "webhook signature failures", PromQL: qWebhookFails, Threshold: threshold(0.02)},
			},
			LogSelector: `{app="billing-worker",env="prod"}`,
		},
		{
			Service: "checkout-db", Env: "prod",
			Metrics: []MetricQuery{
				{Name: "connections in use", PromQL: qDBConns, Unit: "conns", Threshold: threshold(190)},
				{Name: "pool wait (max)", PromQL: qDBWait, Unit: "s", Threshold: threshold(1)},
			},
			LogSelector: `{app="checkout-db",env="prod"}`,
		},
		{
			Service: "checkout-api", Env: "prod",
			Metrics: []MetricQuery{
				{Name: "5xx rate", PromQL: qCheckoutErrors, Threshold: threshold(0.05)},
				{Name: "disk used /var/lib/checkout-api", PromQL: qCheckoutDisk, Threshold: threshold(0.9)},
			},
			LogSelector: `{app="checkout-api",env="prod"}`,
		},
		{
			Service: "edge-proxy", Env: "prod",
			Metrics: []MetricQuery{
				{Name: "health check eu-west-1", PromQL: qEdgeHealth},
				{Name: "requests", PromQL: qEdgeRate, Unit: "req/s"},
			},
			LogSelector: `{app="edge-proxy",env="prod"}`,
		},
		{
			Service: "search-indexer", Env: "staging",
			Metrics: []MetricQuery{
				{Name: "indexing lag", PromQL: qIndexerLag, Unit: "s", Threshold: threshold(600)},
				{Name: "documents indexed", PromQL: qIndexerRate, Unit: "docs/s"},
			},
			LogSelector: `{app="search-indexer",env="staging"}`,
		},
		{
			Service: "auth-service", Env: "prod",
			Metrics: []MetricQuery{
				{Name: "p99 latency /oauth/token", PromQL: qAuthP99, Unit: "ms", Threshold: threshold(800)},
				{Name: "token requests", PromQL: qAuthRate, Unit: "req/s"},
			},
			LogSelector: `{app="auth-service",env="prod"}`,
		},
	}
}
