using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Usher.Core.Telemetry;

namespace Usher.Core.Scheduling;

/// <summary>What every version's scheduler shares: the server's bounds, metrics, memory budget and clock.</summary>
internal sealed class SchedulingContext
{
    /// <summary>Creates the shared context.</summary>
    public SchedulingContext(SchedulingOptions options, UsherMetrics metrics, TimeProvider time, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Metrics = metrics;
        Time = time;
        Budget = new MemoryBudget(options.MaxInFlightBytes);
        Logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger("Usher.Core.Scheduling");
    }

    /// <summary>A context with default bounds, its own metrics and the system clock (tests, embedding).</summary>
    public static SchedulingContext Default() => new(new SchedulingOptions(), new UsherMetrics(), TimeProvider.System);

    /// <summary>The server's bounds.</summary>
    public SchedulingOptions Options { get; }

    /// <summary>The metric instruments.</summary>
    public UsherMetrics Metrics { get; }

    /// <summary>The bound on bytes of requests queued or running, across every model.</summary>
    public MemoryBudget Budget { get; }

    /// <summary>Where the schedulers log (instance autoscaling).</summary>
    public ILogger Logger { get; }

    /// <summary>The clock of batching delays, timeouts and cache TTLs.</summary>
    public TimeProvider Time { get; }
}
