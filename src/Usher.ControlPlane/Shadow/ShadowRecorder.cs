using System.Collections.Concurrent;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Shadow;

/// <summary>Receives the mirror's pairs and keeps one comparison per shadowed endpoint.</summary>
internal sealed class ShadowRecorder : IShadowObserver
{
    private readonly ConcurrentDictionary<string, ShadowComparison> _comparisons = new(StringComparer.Ordinal);

    /// <summary>Starts a fresh comparison for <paramref name="endpoint"/>.</summary>
    public void Start(string endpoint, DateTimeOffset since, double tolerance) => _comparisons[endpoint] = new ShadowComparison(since, tolerance);

    /// <summary>Forgets the endpoint's comparison.</summary>
    public void Stop(string endpoint) => _comparisons.TryRemove(endpoint, out _);

    /// <summary>The endpoint's report now, or null when it is not shadowed.</summary>
    public ShadowReport? Report(string endpoint) => _comparisons.TryGetValue(endpoint, out var c) ? c.Report() : null;

    /// <inheritdoc />
    public void Observe(ShadowPair pair)
    {
        ArgumentNullException.ThrowIfNull(pair);
        if (_comparisons.TryGetValue(pair.Endpoint, out var comparison))
        {
            comparison.Add(pair);
        }
    }
}
