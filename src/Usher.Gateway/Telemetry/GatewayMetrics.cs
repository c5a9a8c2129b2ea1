using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Usher.Gateway.Telemetry;

/// <summary>
/// The gateway's instruments (meter <c>Usher.Gateway</c>), exported at its <c>/metrics</c>. Counter
/// names leave out "_total": the Prometheus exporter adds it.
/// </summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "Usher.Gateway";

    private readonly Counter<long> _attempts;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _retriesRefused;
    private readonly Counter<long> _failovers;
    private readonly Counter<long> _unroutable;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _attempts = meter.CreateCounter<long>("usher_gateway_requests", "{request}", "Requests sent to replicas (each attempt, retries included), by replica, region and outcome (2xx, 4xx, 5xx, or error when no answer came).");
        _retries = meter.CreateCounter<long>("usher_gateway_retries", "{request}", "Requests retried on another replica, by the replica and region that failed and the reason (connection or unavailable).");
        _retriesRefused = meter.CreateCounter<long>("usher_gateway_retries_refused", "{request}", "Retryable failures not retried because the retry budget was spent.");
        _failovers = meter.CreateCounter<long>("usher_gateway_failovers", "{request}", "Requests sent outside their preferred region because none there was healthy or all were saturated, by from and to region.");
        _unroutable = meter.CreateCounter<long>("usher_gateway_unroutable", "{request}", "Requests answered 503 by the gateway because no replica fits, by reason.");
    }

    public void Attempted(string replica, string region, string outcome) =>
        _attempts.Add(1, new TagList { { "replica", replica }, { "region", region }, { "outcome", outcome } });

    public void Retried(string replica, string region, string reason) =>
        _retries.Add(1, new TagList { { "replica", replica }, { "region", region }, { "reason", reason } });

    public void RetryRefused() => _retriesRefused.Add(1);

    public void FailedOver(string from, string to) =>
        _failovers.Add(1, new TagList { { "from", from }, { "to", to } });

    public void Unroutable(string reason) => _unroutable.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
