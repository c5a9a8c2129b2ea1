using Microsoft.Extensions.Logging;
using Usher.Core.Models;
using Usher.Core.Telemetry;

namespace Usher.Core.Scheduling;

/// <summary>
/// Adds and removes a version's executor instances by their utilisation (<c>instances: {min, max,
/// target_utilisation, cool_down_seconds}</c>). Off the request path: a timer on the injected clock
/// reads the batcher's <see cref="InstanceLoad"/> every <see cref="Interval"/> and applies the
/// Kubernetes HPA rule to instances: desired = ceil(current × utilisation / target), no change
/// within <see cref="Tolerance"/> of the target, clamped to [min, <see cref="MostInstances"/>],
/// and at most one change per cool-down (counted from the version's start, then from each change).
/// Removing instances never stops a running batch: it finishes, and no executor takes another
/// until the busy count is under the new limit.
/// </summary>
internal sealed partial class InstanceAutoscaler : IDisposable
{
    /// <summary>How often the controller looks: 1 s.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>The HPA's default tolerance: no change while utilisation / target is within 1 ± 0.1.</summary>
    public const double Tolerance = 0.1;

    private readonly DynamicBatcher _batcher;
    private readonly InstanceScaling _scaling;
    private readonly TimeProvider _time;
    private readonly ModelMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string _label;
    private readonly Lock _lock = new();
    private readonly ITimer _timer;
    private long _lastChange;
    private bool _disposed;

    public InstanceAutoscaler(DynamicBatcher batcher, InstanceScaling scaling, int mostInstances, TimeProvider time, ModelMetrics metrics, ILogger logger, string label)
    {
        _batcher = batcher;
        _scaling = scaling;
        MostInstances = Math.Max(scaling.Min, mostInstances);
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _label = label;
        _lastChange = time.GetTimestamp();
        _timer = time.CreateTimer(static s => ((InstanceAutoscaler)s!).Tick(), this, Interval, Interval);
    }

    /// <summary>The most instances: the config's max, lowered to what the cores allow (never below min).</summary>
    public int MostInstances { get; }

    /// <summary>
    /// The most instances the cores allow: each instance runs with <paramref name="intraOpThreads"/>
    /// threads, and instances × threads stays within <paramref name="cores"/>
    /// (<see cref="Environment.ProcessorCount"/>, which .NET lowers to a container's CPU quota).
    /// </summary>
    public static int CoreBound(InstanceScaling scaling, int intraOpThreads, int cores)
        => Math.Max(scaling.Min, Math.Min(scaling.Max, Math.Max(1, cores / Math.Max(1, intraOpThreads))));

    /// <summary>The instance count the rule asks for at <paramref name="utilisation"/>, before the cool-down.</summary>
    public int Desired(int current, double utilisation)
    {
        var ratio = utilisation / _scaling.TargetUtilisation;
        var desired = Math.Abs(ratio - 1) <= Tolerance ? current : (int)Math.Ceiling(current * ratio);
        return Math.Clamp(desired, _scaling.Min, MostInstances);
    }

    /// <summary>One look: reads the load and changes the instance count when the rule and the cool-down allow.</summary>
    public void Tick()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var now = _time.GetTimestamp();
            if (_time.GetElapsedTime(_lastChange, now) < _scaling.CoolDown)
            {
                return;
            }

            var current = _batcher.Instances;
            var load = _batcher.Load.Read();
            var desired = Desired(current, load.Utilization);
            if (desired == current)
            {
                return;
            }

            _batcher.SetInstances(desired);
            _lastChange = now;
            _metrics.InstancesScaled(up: desired > current);
            Log.Scaled(_logger, _label, current, desired, load.Utilization, _scaling.TargetUtilisation, load.Span.TotalSeconds);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
        }

        _timer.Dispose();
    }
}
