namespace Usher.LoadGenerator.Load;

/// <summary>What one worker saw in the measured window; one per worker, so recording takes no lock.</summary>
internal sealed class WorkerRecorder
{
    public List<long> LatencyTicks { get; } = new(capacity: 16 * 1024);

    public List<double> ServerOverheadMs { get; } = [];

    /// <summary>Failed requests by HTTP status code, or by failure (<c>timeout</c>, <c>ConnectionError</c>, ...).</summary>
    public Dictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);

    public long Completed { get; private set; }

    public void Success(long latencyTicks, double? serverOverheadMs)
    {
        Completed++;
        LatencyTicks.Add(latencyTicks);
        if (serverOverheadMs is double overhead)
        {
            ServerOverheadMs.Add(overhead);
        }
    }

    public void Failure(string reason)
    {
        Completed++;
        Errors[reason] = Errors.GetValueOrDefault(reason) + 1;
    }
}
