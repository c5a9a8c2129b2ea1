namespace Usher.Cli.Bench;

/// <summary>What one sender saw in the measured window; one per sender, so recording takes no lock.</summary>
internal sealed class WorkerRecorder
{
    public List<long> LatencyTicks { get; } = new(capacity: 16 * 1024);

    public List<ServerSplit> Splits { get; } = [];

    /// <summary>Failed requests by HTTP status code, or by failure (<c>timeout</c>, <c>ConnectionError</c>, ...).</summary>
    public Dictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);

    public long Completed { get; private set; }

    public void Success(long latencyTicks, ServerSplit? split)
    {
        Completed++;
        LatencyTicks.Add(latencyTicks);
        if (split is { } s)
        {
            Splits.Add(s);
        }
    }

    public void Failure(string reason)
    {
        Completed++;
        Errors[reason] = Errors.GetValueOrDefault(reason) + 1;
    }
}
