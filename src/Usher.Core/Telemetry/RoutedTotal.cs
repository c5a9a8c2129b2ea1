namespace Usher.Core.Telemetry;

/// <summary>Requests an endpoint's route table sent to one variant (<c>usher_routed_requests_total</c>).</summary>
internal sealed class RoutedTotal
{
    private long _count;

    public RoutedTotal(string endpoint, string variant)
    {
        Endpoint = endpoint;
        Variant = variant;
        Tags = [new("endpoint", endpoint), new("variant", variant)];
    }

    public string Endpoint { get; }

    public string Variant { get; }

    /// <summary>The labels <c>endpoint</c> and <c>variant</c>.</summary>
    public KeyValuePair<string, object?>[] Tags { get; }

    public long Count => Interlocked.Read(ref _count);

    public void Add() => Interlocked.Increment(ref _count);
}
