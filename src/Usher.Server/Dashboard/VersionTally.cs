using Usher.Core.Telemetry;

namespace Usher.Server.Dashboard;

/// <summary>
/// The running totals of one model version since the dashboard began watching: answered and failed
/// requests, the latency histogram of the answered ones and the batch-size histogram, in the bucket
/// bounds of <see cref="UsherMetrics"/>. Written with interlocked adds from the measuring thread, read
/// as a copy by the sampler.
/// </summary>
internal sealed class VersionTally
{
    private static readonly double[] BatchBounds = [.. UsherMetrics.BatchSizeBuckets.Select(b => (double)b)];

    private readonly long[] _latency = new long[UsherMetrics.LatencyBuckets.Count + 1];
    private readonly long[] _batches = new long[UsherMetrics.BatchSizeBuckets.Count + 1];
    private long _succeeded;
    private long _failed;

    public VersionTally(string model, string version)
    {
        Model = model;
        Version = version;
    }

    public string Model { get; }

    public string Version { get; }

    public void Succeeded(long count) => Interlocked.Add(ref _succeeded, count);

    public void Failed(long count) => Interlocked.Add(ref _failed, count);

    public void Latency(double seconds) => Interlocked.Increment(ref _latency[HistogramQuantile.BucketOf(UsherMetrics.LatencyBuckets, seconds)]);

    public void Batch(int size) => Interlocked.Increment(ref _batches[HistogramQuantile.BucketOf(BatchBounds, size)]);

    /// <summary>A copy of the totals now.</summary>
    public TallySnapshot Read()
    {
        var latency = new long[_latency.Length];
        for (var i = 0; i < latency.Length; i++)
        {
            latency[i] = Volatile.Read(ref _latency[i]);
        }

        var batches = new long[_batches.Length];
        for (var i = 0; i < batches.Length; i++)
        {
            batches[i] = Volatile.Read(ref _batches[i]);
        }

        return new TallySnapshot(Interlocked.Read(ref _succeeded), Interlocked.Read(ref _failed), latency, batches);
    }
}
