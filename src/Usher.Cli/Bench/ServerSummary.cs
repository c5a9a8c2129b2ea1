namespace Usher.Cli.Bench;

/// <summary>
/// The server's own account of its time over <paramref name="Samples"/> answers (<paramref name="CacheHits"/> of them
/// from the prediction cache): queueing, computing,
/// and the rest (overhead = total - queue - compute: decoding, validation, routing, encoding).
/// </summary>
internal sealed record ServerSummary(long Samples, long CacheHits, PercentilePair Queue, PercentilePair Compute, PercentilePair Overhead, PercentilePair Total)
{
    public static ServerSummary? Of(IReadOnlyList<ServerSplit> splits) => splits.Count == 0
        ? null
        : new ServerSummary(
            splits.Count,
            splits.Count(s => s.CacheHit),
            PercentilePair.Of([.. splits.Select(s => s.QueueMs)]),
            PercentilePair.Of([.. splits.Select(s => s.ComputeMs)]),
            PercentilePair.Of([.. splits.Select(s => s.OverheadMs)]),
            PercentilePair.Of([.. splits.Select(s => s.TotalMs)]));
}
