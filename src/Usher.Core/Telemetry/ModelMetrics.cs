namespace Usher.Core.Telemetry;

// STUB: the telemetry work fills this in.
/// <summary>The instruments of one model version, labelled <c>model</c> and <c>version</c>.</summary>
public sealed class ModelMetrics : IDisposable
{
    /// <summary>A request answered: request, queue and compute durations (histograms), success counter.</summary>
    public void RequestSucceeded(TimeSpan queue, TimeSpan compute, TimeSpan total)
    {
    }

    /// <summary>A request failed, by reason.</summary>
    public void RequestFailed(FailureReason reason)
    {
    }

    /// <summary>A batch ran: inference count += <paramref name="batchSize"/>, execution count += 1, batch-size histogram, compute time.</summary>
    public void BatchExecuted(int batchSize, TimeSpan compute)
    {
    }

    /// <summary>A prediction-cache hit, with its server-side duration.</summary>
    public void CacheHit(TimeSpan duration)
    {
    }

    /// <summary>A prediction-cache miss.</summary>
    public void CacheMiss()
    {
    }

    /// <summary>Observable gauges read from the version: pending requests, cache bytes, busy instances / instances.</summary>
    public void Observe(Func<int> pendingRequests, Func<long> cacheBytes, Func<double> instanceUtilization)
    {
    }

    /// <summary>Stops reporting the observable gauges (the version was retired).</summary>
    public void Dispose()
    {
    }
}
