namespace Usher.Cli.Bench;

/// <summary>Where one request's server-side time went, from its <c>Server-Timing</c> header, in milliseconds.</summary>
/// <param name="QueueMs">Waiting in the scheduler's queue.</param>
/// <param name="ComputeMs">The backend run the request was part of.</param>
/// <param name="TotalMs">The whole handler, from the start to the response.</param>
/// <param name="CacheHit">The answer came from the prediction cache (<c>cache;desc="hit"</c>).</param>
internal readonly record struct ServerSplit(double QueueMs, double ComputeMs, double TotalMs, bool CacheHit = false)
{
    /// <summary>The server's own time: neither queueing nor computing (decoding, validation, routing, encoding).</summary>
    public double OverheadMs => TotalMs - QueueMs - ComputeMs;
}
