using Usher.Core.Telemetry;

namespace Usher.Core.Scheduling;

/// <summary>What every version's scheduler shares: the server's bounds, metrics, memory budget and clock.</summary>
internal sealed class SchedulingContext
{
    /// <summary>Creates the shared context.</summary>
    public SchedulingContext(SchedulingOptions options, UsherMetrics metrics, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Metrics = metrics;
        Time = time;
        Budget = new MemoryBudget(options.MaxInFlightBytes);
    }

    /// <summary>A context with default bounds, its own metrics and the system clock (tests, embedding).</summary>
    public static SchedulingContext Default() => new(new SchedulingOptions(), new UsherMetrics(), TimeProvider.System);

    /// <summary>The server's bounds.</summary>
    public SchedulingOptions Options { get; }

    /// <summary>The metric instruments.</summary>
    public UsherMetrics Metrics { get; }

    /// <summary>The bound on bytes of requests queued or running, across every model.</summary>
    public MemoryBudget Budget { get; }

    /// <summary>The clock of batching delays, timeouts and cache TTLs.</summary>
    public TimeProvider Time { get; }
}
