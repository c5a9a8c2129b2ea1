namespace Usher.Capacity.Queueing;

/// <summary>
/// A quantile of the latency of all requests over an interval whose seconds saw different loads:
/// the tail of the mixture, weighted by each second's arrivals, solved for 1 - q by bisection.
/// </summary>
internal static class LatencyQuantile
{
    /// <summary>The q-quantile (seconds) over <paramref name="seconds"/>; NaN when none saw a request.</summary>
    public static double Of(IReadOnlyList<QueueState> seconds, double q)
    {
        ArgumentNullException.ThrowIfNull(seconds);
        var total = seconds.Sum(s => s.Arrivals);
        if (!(total > 0))
        {
            return double.NaN;
        }

        double Tail(double t)
        {
            var sum = 0.0;
            foreach (var s in seconds)
            {
                sum += s.Arrivals * s.LatencyTail(t);
            }

            return sum / total;
        }

        var beyond = 1 - q;
        var hi = 0.001;
        while (Tail(hi) > beyond && hi < 1e6)
        {
            hi *= 2;
        }

        var lo = 0.0;
        for (var i = 0; i < 60; i++)
        {
            var mid = (lo + hi) / 2;
            if (Tail(mid) > beyond)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return hi;
    }
}
