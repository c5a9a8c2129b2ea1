using System.Diagnostics;

namespace Usher.Core.Telemetry;

/// <summary>
/// Usher's one <see cref="ActivitySource"/> (named <c>Usher</c>) and the names of its spans
/// (docs/observability.md). Every hook on the request path asks <see cref="Tracing"/> first: with no
/// listener (no tracer configured) nothing is built, captured or allocated.
/// </summary>
internal static class UsherActivities
{
    /// <summary>The source's name, which a tracer subscribes to (<c>AddSource("Usher")</c>).</summary>
    public const string SourceName = "Usher";

    /// <summary>One routed inference request (REST, gRPC, streams): the parent of the spans below.</summary>
    public const string Infer = "usher.infer";

    /// <summary>A prediction cache lookup: building the key and finding it.</summary>
    public const string CacheLookup = "usher.cache_lookup";

    /// <summary>A request's wait in the batcher's queue, from arrival to the start of its batch.</summary>
    public const string Queue = "usher.queue";

    /// <summary>One batch run on the backend, linked to the span of every request in it.</summary>
    public const string Batch = "usher.batch";

    /// <summary>A request's share of the backend run: its batch's compute time, linked to the batch.</summary>
    public const string Compute = "usher.compute";

    /// <summary>The copy of an answered request run on the endpoint's shadow, off the request path.</summary>
    public const string Shadow = "usher.shadow";

    /// <summary>The source every Usher span comes from.</summary>
    public static ActivitySource Source { get; } = new(SourceName, typeof(UsherActivities).Assembly.GetName().Version?.ToString(3));

    /// <summary>Whether anyone listens to Usher's spans; false costs the request path one check.</summary>
    public static bool Tracing => Source.HasListeners();

    /// <summary>The current span when Usher's spans are listened to, otherwise null (nothing read).</summary>
    public static Activity? Ambient => Source.HasListeners() ? Activity.Current : null;

    /// <summary>
    /// Starts a span that ended already, from <paramref name="start"/> to <paramref name="end"/>
    /// (queue and compute are known only once the batch has run), leaving <see cref="Activity.Current"/>
    /// as it was. Null when the span is not sampled.
    /// </summary>
    public static Activity? Record(
        string name, ActivityContext parent, DateTimeOffset start, DateTimeOffset end,
        IEnumerable<KeyValuePair<string, object?>>? tags = null, IEnumerable<ActivityLink>? links = null, string? error = null)
    {
        var previous = Activity.Current;
        var span = Source.StartActivity(name, ActivityKind.Internal, parent, tags, links, start);
        Activity.Current = previous;
        if (span is null)
        {
            return null;
        }

        if (error is not null)
        {
            Fail(span, "backend", error);
        }

        span.SetEndTime(end.UtcDateTime);
        span.Stop();
        return span;
    }

    /// <summary>Marks <paramref name="span"/> failed with <paramref name="message"/>.</summary>
    public static void Fail(Activity span, string kind, string message)
    {
        span.SetStatus(ActivityStatusCode.Error, message);
        span.SetTag("usher.error", kind);
    }
}
