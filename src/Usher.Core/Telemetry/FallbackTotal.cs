namespace Usher.Core.Telemetry;

/// <summary>
/// Requests of an endpoint that the sticky hash sent to one variant and that another served, and why
/// (<c>usher_routing_fallbacks_total</c>): a rollout's analysis learns from it which traffic a variant could not see.
/// </summary>
internal sealed class FallbackTotal
{
    private long _count;

    public FallbackTotal(string endpoint, string from, string to, string reason)
    {
        Endpoint = endpoint;
        From = from;
        To = to;
        Reason = reason;
        Tags = [new("endpoint", endpoint), new("from", from), new("to", to), new("reason", reason)];
    }

    public string Endpoint { get; }

    /// <summary>The variant the hash chose.</summary>
    public string From { get; }

    /// <summary>The variant that served.</summary>
    public string To { get; }

    /// <summary>Why the hash's variant did not serve (<c>missing_inputs</c>).</summary>
    public string Reason { get; }

    /// <summary>The labels <c>endpoint</c>, <c>from</c>, <c>to</c> and <c>reason</c>.</summary>
    public KeyValuePair<string, object?>[] Tags { get; }

    public long Count => Interlocked.Read(ref _count);

    public void Add() => Interlocked.Increment(ref _count);
}
