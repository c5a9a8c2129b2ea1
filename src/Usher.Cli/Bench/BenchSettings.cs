namespace Usher.Cli.Bench;

/// <summary>How hard and for how long one measured point of <c>usher bench</c> loads the server.</summary>
/// <param name="Concurrency">Closed loop: workers, each with one request in flight. Open loop: the most requests in flight at once.</param>
/// <param name="Rate">Open loop: requests per second, Poisson arrivals; null for a closed loop.</param>
/// <param name="Warmup">Load before recording starts.</param>
/// <param name="Duration">The measured window after the warm-up.</param>
/// <param name="Seed">Seeds the open loop's inter-arrival times.</param>
internal sealed record BenchSettings(int Concurrency, double? Rate, TimeSpan Warmup, TimeSpan Duration, int Seed)
{
    /// <summary>True for an open loop at <see cref="Rate"/>.</summary>
    public bool OpenLoop => Rate is not null;
}
