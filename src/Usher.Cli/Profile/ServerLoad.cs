namespace Usher.Cli.Profile;

/// <summary>
/// A server measured under load, and what it predicts: the throughput the server gives at the
/// point's concurrency with the load generator elsewhere (<see cref="Predicted"/>). Measured
/// directly when the client ran on other cores; when it had to share the server's cores, the CPU
/// it took is given back to the server (<see cref="GivenBack"/>), bounded by <see cref="Capacity"/>:
/// the server's CPU per answer (REST or gRPC decoding and encoding, Kestrel, the pipeline, ONNX
/// Runtime: everything the server's process spent while the client ran, over every answer) makes
/// <c>cores / CPU per answer</c> the most its cores can answer.
/// </summary>
/// <param name="Cores">The cores the server may run on.</param>
/// <param name="MeasuredThroughput">Answers per second the client got in the measured window.</param>
/// <param name="ServerCpuUsPerRequest">The server process's CPU time per answer, microseconds.</param>
/// <param name="ClientCpuUsPerRequest">The load generator's CPU time per answer, microseconds.</param>
/// <param name="ClientCores">The cores the client was pinned to, outside the server's; null when it shared the server's cores.</param>
internal sealed record ServerLoad(int Cores, double MeasuredThroughput, double ServerCpuUsPerRequest, double ClientCpuUsPerRequest, string? ClientCores)
{
    /// <summary>
    /// Answers per second with the server's cores fully busy: cores x 10^6 / server CPU µs per answer,
    /// and never less than <see cref="MeasuredThroughput"/> (NaN without a measurement). The CPU per
    /// answer is averaged over the client's whole run, warm-up included, where answers cost more (the
    /// JIT still compiles); the throughput is that of the measured window alone. A server busy in its
    /// window can so answer faster than the quotient says, and what its cores did answer bounds what
    /// they can.
    /// </summary>
    public double Capacity
    {
        get
        {
            var byCpu = ServerCpuUsPerRequest > 0 ? Cores * 1e6 / ServerCpuUsPerRequest : double.NaN;
            return double.IsFinite(byCpu) && double.IsFinite(MeasuredThroughput) ? Math.Max(byCpu, MeasuredThroughput) : byCpu;
        }
    }

    /// <summary>
    /// Answers per second when the client runs on the same cores and takes its share:
    /// cores x 10^6 / (server + client CPU µs per answer).
    /// </summary>
    public double CapacitySharedWithClient => ServerCpuUsPerRequest + ClientCpuUsPerRequest > 0 ? Cores * 1e6 / (ServerCpuUsPerRequest + ClientCpuUsPerRequest) : double.NaN;

    /// <summary>
    /// Measured x cores / (cores - the client's cores), the client's cores being measured throughput
    /// x client CPU per answer: the client's CPU handed back to the server, at most
    /// <see cref="Capacity"/> (when the client took every core, the capacity).
    /// </summary>
    public double GivenBack
    {
        get
        {
            var clientCores = MeasuredThroughput * ClientCpuUsPerRequest / 1e6;
            var scaled = clientCores < Cores ? MeasuredThroughput * Cores / (Cores - clientCores) : double.PositiveInfinity;
            return double.IsFinite(Capacity) ? Math.Min(Capacity, scaled) : scaled;
        }
    }

    /// <summary>
    /// The predicted throughput with the client elsewhere: what the client measured when it ran on
    /// other cores (<see cref="ClientCores"/>), otherwise <see cref="GivenBack"/>.
    /// </summary>
    public double Predicted => ClientCores is not null ? MeasuredThroughput : GivenBack;

    /// <summary>The share of its cores the server used while measured: measured throughput / capacity.</summary>
    public double ServerUtilization => Capacity > 0 ? MeasuredThroughput / Capacity : double.NaN;

    /// <summary>The model from the raw readings: <paramref name="serverCpu"/> spent by the server over <paramref name="answered"/> answers.</summary>
    public static ServerLoad From(int cores, double measuredThroughput, TimeSpan serverCpu, long answered, double clientCpuUsPerRequest, string? clientCores)
        => new(cores, measuredThroughput, answered > 0 ? serverCpu.TotalMicroseconds / answered : double.NaN, clientCpuUsPerRequest, clientCores);
}
