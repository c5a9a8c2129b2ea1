using System.Collections.Frozen;

namespace Usher.Core.Caching;

/// <summary>
/// The request and output parameters that steer scheduling or the wire format but never the
/// values computed, and so stay out of the cache key. Every other parameter is part of the key:
/// an unknown parameter costs a cache hit at worst, never a wrong answer.
/// </summary>
internal static class TransportParameters
{
    /// <summary>
    /// <c>priority</c> and <c>timeout</c> (scheduling), <c>binary_data_output</c>,
    /// <c>binary_data</c>, <c>binary_data_size</c> and <c>headers</c> (encoding of the response),
    /// <c>id</c> (echoed back, not computed with).
    /// </summary>
    public static readonly FrozenSet<string> Names = FrozenSet.Create(
        StringComparer.Ordinal,
        "priority", "timeout", "binary_data_output", "binary_data", "binary_data_size", "headers", "id");
}
