using Usher.Server.Tests.Telemetry.Otlp;

namespace Usher.Server.Tests.Telemetry;

/// <summary>One span as an OTLP exporter sent it, ids in lower-case hex (empty when absent).</summary>
internal sealed record ReceivedSpan(
    string Scope,
    string Name,
    Span.Types.SpanKind Kind,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    IReadOnlyDictionary<string, object> Attributes,
    IReadOnlyList<(string TraceId, string SpanId)> Links,
    Status.Types.StatusCode Status,
    ulong StartNanos,
    ulong EndNanos)
{
    public static ReceivedSpan From(string scope, Span span) => new(
        scope,
        span.Name,
        span.Kind,
        Convert.ToHexStringLower(span.TraceId.Span),
        Convert.ToHexStringLower(span.SpanId.Span),
        Convert.ToHexStringLower(span.ParentSpanId.Span),
        span.Attributes.ToDictionary(a => a.Key, a => Value(a.Value)),
        [.. span.Links.Select(l => (Convert.ToHexStringLower(l.TraceId.Span), Convert.ToHexStringLower(l.SpanId.Span)))],
        span.Status?.Code ?? Otlp.Status.Types.StatusCode.Unset,
        span.StartTimeUnixNano,
        span.EndTimeUnixNano);

    private static object Value(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue,
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue,
        _ => value.ToString(),
    };
}
