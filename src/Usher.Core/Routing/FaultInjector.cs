using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Usher.Core.Inference;
using Usher.Core.Telemetry;

namespace Usher.Core.Routing;

/// <summary>
/// Holds the faults operators set per variant and decides, per routed request, whether it is delayed
/// or aborted. The random source is injected so tests decide exactly which requests fail.
/// </summary>
internal sealed class FaultInjector
{
    private readonly Func<double> _next;
    private readonly TimeProvider _time;
    private readonly Counter<long>? _counter;
    private ImmutableDictionary<string, FaultSpec> _faults = ImmutableDictionary.Create<string, FaultSpec>(StringComparer.Ordinal);

    /// <summary>Creates an injector; <paramref name="random"/> defaults to a thread-safe shared source.</summary>
    public FaultInjector(TimeProvider time, UsherMetrics? metrics = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _counter = metrics?.FaultsInjected;
        if (random is null)
        {
            _next = Random.Shared.NextDouble;
        }
        else
        {
            var gate = new Lock();
            _next = () =>
            {
                lock (gate)
                {
                    return random.NextDouble();
                }
            };
        }
    }

    /// <summary>The faults in force, by variant name.</summary>
    public IReadOnlyDictionary<string, FaultSpec> Faults => _faults;

    /// <summary>Sets the fault of <paramref name="variant"/>, replacing any previous one.</summary>
    public void Set(string variant, FaultSpec fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        ImmutableInterlocked.AddOrUpdate(ref _faults, variant, fault, (_, _) => fault);
    }

    /// <summary>Clears the fault of <paramref name="variant"/>; returns whether there was one.</summary>
    public bool Clear(string variant) => ImmutableInterlocked.TryRemove(ref _faults, variant, out _);

    /// <summary>
    /// Replaces every fault with <paramref name="faults"/> (the state store's, reloaded), in one swap:
    /// a request sees the old set or the new one, and a variant missing from it has no fault after.
    /// </summary>
    public void Replace(IEnumerable<KeyValuePair<string, FaultSpec>> faults)
    {
        ArgumentNullException.ThrowIfNull(faults);
        Volatile.Write(ref _faults, ImmutableDictionary.CreateRange(StringComparer.Ordinal, faults));
    }

    /// <summary>
    /// Applies the variant's fault to one request: waits out an injected delay, and returns the
    /// injected error when the request is aborted (null when it should run).
    /// </summary>
    public async ValueTask<InferenceError?> ApplyAsync(string endpoint, string variant, CancellationToken cancellationToken)
    {
        if (_faults.IsEmpty || !_faults.TryGetValue(variant, out var fault))
        {
            return null;
        }

        if (fault.DelayFraction > 0 && _next() < fault.DelayFraction)
        {
            _counter?.Add(1, new("endpoint", endpoint), new("variant", variant), new("kind", "delay"));
            await Task.Delay(TimeSpan.FromMilliseconds(fault.DelayMs), _time, cancellationToken).ConfigureAwait(false);
        }

        if (fault.AbortFraction > 0 && _next() < fault.AbortFraction)
        {
            _counter?.Add(1, new("endpoint", endpoint), new("variant", variant), new("kind", "abort"));
            return InferenceError.Injected(fault.AbortStatus, $"fault injected for a rehearsal: variant {variant} aborts {fault.AbortFraction:P0} of requests (clear it with `usher fault {endpoint} --version V --clear`)");
        }

        return null;
    }
}
