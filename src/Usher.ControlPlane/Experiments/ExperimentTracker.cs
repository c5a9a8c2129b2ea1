using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using Usher.ControlPlane.Persistence;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Experiments;

/// <summary>
/// Records which arm each unit of a running experiment was routed to, and joins reported outcomes
/// with those assignments. A unit is the routing key when the request carried one (a user stays in
/// one arm), and the request's id is remembered too, so feedback may name either. Assignments live
/// in a bounded memory cache and are written to the state store in batches on each tick, so that
/// feedback after a restart, or for a unit the cache forgot, still joins.
/// </summary>
internal sealed class ExperimentTracker : IRouteObserver
{
    /// <summary>Units kept in memory across all experiments.</summary>
    public const int CacheCapacity = 200_000;

    /// <summary>Assignments written per transaction.</summary>
    public const int FlushBatch = 5_000;

    /// <summary>Pending assignments that start a flush before the next tick (a burst between ticks stays bounded).</summary>
    public const int FlushEarlyAt = 4 * FlushBatch;

    private readonly IExperimentStore _store;
    private readonly TimeProvider _time;
    private readonly AssignmentCache _cache = new(CacheCapacity);
    private readonly ConcurrentQueue<Assignment> _pending = new();
    private readonly SemaphoreSlim _flush = new(1, 1);
    private int _pendingCount;
    private ImmutableDictionary<string, RunningExperiment> _running = ImmutableDictionary.Create<string, RunningExperiment>(StringComparer.Ordinal);

    private readonly RouteObservations? _source;

    /// <summary>Creates a tracker writing to <paramref name="store"/>.</summary>
    /// <param name="store">Where assignments and outcomes are kept.</param>
    /// <param name="time">The clock outcomes are stamped with.</param>
    /// <param name="source">The channel the observations arrive on, caught up with before a flush or a join; null when they are handed over directly.</param>
    public ExperimentTracker(IExperimentStore store, TimeProvider time, RouteObservations? source = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _time = time;
        _source = source;
    }

    /// <summary>The store the tracker writes to.</summary>
    public IExperimentStore Store => _store;

    /// <summary>Assignments waiting for the next flush.</summary>
    public int Pending => Volatile.Read(ref _pendingCount);

    /// <summary>Starts recording assignments of <paramref name="endpoint"/> for the experiment <paramref name="rolloutId"/>.</summary>
    public void Start(string endpoint, long rolloutId, ExperimentSpec spec)
        => ImmutableInterlocked.Update(ref _running, r => r.SetItem(endpoint, new RunningExperiment(rolloutId, spec)));

    /// <summary>Stops recording for <paramref name="endpoint"/>.</summary>
    public void Stop(string endpoint) => ImmutableInterlocked.Update(ref _running, r => r.Remove(endpoint));

    /// <summary>The experiment running on <paramref name="endpoint"/>, or null.</summary>
    public RunningExperiment? Running(string endpoint) => _running.GetValueOrDefault(endpoint);

    /// <summary>Whether a request routed to <paramref name="endpoint"/> now would be recorded.</summary>
    public bool IsObserving(string endpoint) => _running.ContainsKey(endpoint);

    /// <inheritdoc />
    public ObservationNeeds Needs(string endpoint, string? routingKey) => _running.ContainsKey(endpoint) ? ObservationNeeds.Outcome : ObservationNeeds.None;

    /// <inheritdoc />
    public void Observe(in RouteObservation observation)
    {
        if (!_running.TryGetValue(observation.Endpoint, out var running))
        {
            return;
        }

        // A request with neither a key nor an id can never be joined with an outcome: it is not in the experiment.
        var key = observation.RoutingKey is { Length: > 0 } k ? k : null;
        var id = observation.RequestId is { Length: > 0 } i ? i : null;
        if (key is not null)
        {
            Add(running.RolloutId, "key:" + key, observation.Variant.Version, counted: true, observation.At);
        }

        if (id is not null)
        {
            Add(running.RolloutId, "id:" + id, observation.Variant.Version, counted: key is null, observation.At);
        }
    }

    /// <summary>Writes the pending assignments to the state store, in batches.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        _source?.CatchUp();
        await _flush.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var batch = new List<Assignment>(Math.Clamp(Pending, 0, FlushBatch));
            try
            {
                while (_pending.TryDequeue(out var a))
                {
                    Interlocked.Decrement(ref _pendingCount);
                    batch.Add(a);
                    if (batch.Count == FlushBatch)
                    {
                        await _store.AddAssignmentsAsync(batch, cancellationToken).ConfigureAwait(false);
                        batch.Clear();
                    }
                }

                await _store.AddAssignmentsAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Nothing is lost: what was not written waits for the next flush.
                foreach (var a in batch)
                {
                    _pending.Enqueue(a);
                    Interlocked.Increment(ref _pendingCount);
                }

                throw;
            }
        }
        finally
        {
            _flush.Release();
        }
    }

    /// <summary>
    /// Joins and stores reported outcomes for the experiment running on <paramref name="endpoint"/>;
    /// null when none runs there. Each item is answered on its own.
    /// </summary>
    public async Task<IReadOnlyList<FeedbackResult>?> RecordAsync(string endpoint, IReadOnlyList<FeedbackItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        _source?.CatchUp();
        if (!_running.TryGetValue(endpoint, out var running))
        {
            return null;
        }

        var results = new FeedbackResult?[items.Count];
        var joined = new List<(int Index, string Unit, string Metric, long Version, double Value)>();
        var flushed = false;
        for (var n = 0; n < items.Count; n++)
        {
            var item = items[n];
            if (Problem(item, running.Spec) is { } problem)
            {
                results[n] = new FeedbackResult(FeedbackStatus.Invalid, null, problem);
                continue;
            }

            var unit = item.Id is not null ? "id:" + item.Id : "key:" + item.Key;
            var version = _cache.Find(Cached(running.RolloutId, unit));
            if (version is null)
            {
                if (!flushed)
                {
                    await FlushAsync(cancellationToken).ConfigureAwait(false);
                    flushed = true;
                }

                version = await _store.FindAssignmentAsync(running.RolloutId, unit, cancellationToken).ConfigureAwait(false);
            }

            if (version is null)
            {
                results[n] = new FeedbackResult(
                    FeedbackStatus.Unknown,
                    null,
                    item.Id is not null
                        ? $"no request with id '{item.Id}' was routed on '{endpoint}' during the experiment (feedback by id needs the inference request to carry that \"id\")"
                        : $"no request with routing key '{item.Key}' was routed on '{endpoint}' during the experiment (send it as {RouteHints.RoutingKeyHeader})");
                continue;
            }

            joined.Add((n, unit, item.Metric, version.Value, item.Value));
        }

        if (joined.Count > 0)
        {
            var added = await _store.AddOutcomesAsync(running.RolloutId, [.. joined.Select(j => (j.Unit, j.Metric, j.Version, j.Value))], _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            for (var j = 0; j < joined.Count; j++)
            {
                results[joined[j].Index] = added[j]
                    ? new FeedbackResult(FeedbackStatus.Recorded, joined[j].Version, null)
                    : new FeedbackResult(FeedbackStatus.Duplicate, joined[j].Version, $"an outcome for {joined[j].Unit} and metric '{joined[j].Metric}' is already recorded; the first one stands");
            }
        }

        return [.. results.Select(r => r!)];
    }

    private static string? Problem(FeedbackItem item, ExperimentSpec spec)
    {
        if ((item.Id is null) == (item.Key is null))
        {
            return "give exactly one of \"id\" (the inference request's id) and \"key\" (its routing key)";
        }

        if (string.IsNullOrEmpty(item.Metric))
        {
            return $"\"metric\": required (this experiment judges '{spec.Metric}')";
        }

        if (!double.IsFinite(item.Value))
        {
            return "\"value\": expected a finite number";
        }

        if (item.Metric == spec.Metric && spec.Kind == OutcomeKind.Binary && item.Value is not (0 or 1))
        {
            return string.Create(CultureInfo.InvariantCulture, $"\"value\": metric '{spec.Metric}' is binary; expected 0 or 1, got {item.Value}");
        }

        return null;
    }

    // Off the request path. A failure leaves the batch pending; the next tick's flush retries it and
    // reports the error through the controller's log.
    private async Task FlushInBackgroundAsync()
    {
        await Task.Yield();
        try
        {
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
        }
    }

    private static string Cached(long rolloutId, string unit) => rolloutId.ToString(CultureInfo.InvariantCulture) + "|" + unit;

    private void Add(long rolloutId, string unit, long version, bool counted, DateTimeOffset at)
    {
        if (_cache.TryAdd(Cached(rolloutId, unit), version))
        {
            _pending.Enqueue(new Assignment(rolloutId, unit, version, counted, at));
            if (Interlocked.Increment(ref _pendingCount) == FlushEarlyAt)
            {
                _ = FlushInBackgroundAsync();
            }
        }
    }
}
