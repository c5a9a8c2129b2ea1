namespace Usher.Server.Dashboard;

/// <summary>One version's totals at one instant (read by <see cref="DashboardRecorder"/> from the version's totals).</summary>
/// <param name="Succeeded">Requests answered.</param>
/// <param name="Failed">Requests that failed, any reason.</param>
/// <param name="Latency">Answered requests per latency bucket (the last is the overflow).</param>
/// <param name="Batches">Batch executions per batch-size bucket (the last is the overflow).</param>
internal sealed record TallySnapshot(long Succeeded, long Failed, long[] Latency, long[] Batches)
{
    /// <summary>Answered and failed requests.</summary>
    public long Requests => Succeeded + Failed;

    /// <summary>What happened between <paramref name="earlier"/> and this snapshot (null: since the start).</summary>
    public TallySnapshot Minus(TallySnapshot? earlier)
    {
        if (earlier is null)
        {
            return this;
        }

        return new TallySnapshot(
            Succeeded - earlier.Succeeded,
            Failed - earlier.Failed,
            Subtract(Latency, earlier.Latency),
            Subtract(Batches, earlier.Batches));
    }

    private static long[] Subtract(long[] later, long[] earlier)
    {
        var result = new long[later.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = later[i] - earlier[i];
        }

        return result;
    }
}
