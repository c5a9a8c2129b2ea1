namespace Usher.Capacity.Queueing;

/// <summary>
/// One replica as a c-server queue with Poisson arrivals: <paramref name="Servers"/> executor
/// instances, each answering <paramref name="ServiceRate"/> requests per second. Erlang C gives the
/// probability of waiting; the wait beyond it is exponential with rate (c mu - lambda), which is exact
/// for M/M/c; for M/D/c its mean is halved (Allen-Cunneen: Wq(G/G/c) ~ Wq(M/M/c) x (ca^2 + cs^2) / 2).
/// </summary>
internal sealed record ReplicaQueue(int Servers, double ServiceRate, ServiceTimes Service)
{
    /// <summary>Requests per second the replica answers at saturation (c mu).</summary>
    public double Capacity => Servers * ServiceRate;

    /// <summary>The time one request takes without waiting, seconds.</summary>
    public double ServiceSeconds => 1 / ServiceRate;

    /// <summary>Utilisation rho = lambda / (c mu).</summary>
    public double Utilization(double lambda) => lambda / Capacity;

    /// <summary>Erlang C: the probability that an arrival waits (1 at or past saturation).</summary>
    public double WaitProbability(double lambda)
    {
        var a = lambda / ServiceRate;
        if (a >= Servers)
        {
            return 1;
        }

        if (a <= 0)
        {
            return 0;
        }

        // Erlang B by its stable recurrence, then C = B / (1 - rho (1 - B)).
        var b = 1.0;
        for (var k = 1; k <= Servers; k++)
        {
            b = a * b / (k + (a * b));
        }

        var rho = a / Servers;
        return b / (1 - (rho * (1 - b)));
    }

    /// <summary>The rate of the exponential wait of those who wait, per second.</summary>
    public double WaitDecay(double lambda) => (Capacity - lambda) * (Service == ServiceTimes.Deterministic ? 2 : 1);

    /// <summary>Mean wait in the queue, seconds (infinite at or past saturation).</summary>
    public double MeanWait(double lambda) =>
        lambda >= Capacity ? double.PositiveInfinity : WaitProbability(lambda) / WaitDecay(lambda);

    /// <summary>Mean requests waiting (Little: Lq = lambda Wq): what <c>usher_pending_requests</c> reads.</summary>
    public double MeanQueueLength(double lambda) => lambda <= 0 ? 0 : lambda * MeanWait(lambda);

    /// <summary>P(wait &gt; t).</summary>
    public double WaitTail(double lambda, double t) =>
        t < 0 ? 1 : lambda >= Capacity ? 1 : WaitProbability(lambda) * Math.Exp(-WaitDecay(lambda) * t);

    /// <summary>The q-quantile of the wait, seconds (0 when fewer than 1 - q arrivals wait).</summary>
    public double WaitQuantile(double lambda, double q)
    {
        var c = WaitProbability(lambda);
        var beyond = 1 - q;
        return c <= beyond ? 0 : lambda >= Capacity ? double.PositiveInfinity : Math.Log(c / beyond) / WaitDecay(lambda);
    }

    /// <summary>P(latency &gt; t) for a request that first waits <paramref name="delay"/> seconds behind a backlog.</summary>
    public double LatencyTail(double lambda, double delay, double t)
    {
        var u = t - delay;
        if (u <= 0)
        {
            return 1;
        }

        if (Service == ServiceTimes.Deterministic)
        {
            return WaitTail(lambda, u - ServiceSeconds);
        }

        // Wq + S with S ~ Exp(mu) and Wq = 0 w.p. 1 - C, else Exp(theta): the convolution in closed form.
        var mu = ServiceRate;
        var c = WaitProbability(lambda);
        var theta = WaitDecay(lambda);
        var sum = Math.Abs(mu - theta) < 1e-9 * mu
            ? (1 + (mu * u)) * Math.Exp(-mu * u)
            : ((mu * Math.Exp(-theta * u)) - (theta * Math.Exp(-mu * u))) / (mu - theta);
        return ((1 - c) * Math.Exp(-mu * u)) + (c * sum);
    }
}
