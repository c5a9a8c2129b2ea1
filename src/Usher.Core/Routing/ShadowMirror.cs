using System.Collections.Immutable;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Telemetry;

namespace Usher.Core.Routing;

/// <summary>
/// Mirrors a share of an endpoint's routed requests to a shadow version after the primary has
/// answered. The request path only decides whether a request falls in the share (<see cref="Needs"/>)
/// and, when it does, copies it into the router's observation channel; from there the copy goes to
/// the endpoint's bounded queue (never waiting: a full queue drops the copy and counts it), and one
/// background worker per endpoint runs the copies pinned to the shadow and hands each pair to the
/// <see cref="Observer"/>. The worker runs on spare capacity only: it takes a copy while the
/// instances of the primary and of the shadow are idle (<see cref="IsIdle(ModelManager, string, ShadowTarget)"/>)
/// and otherwise looks again after <see cref="IdlePoll"/>, so that a shadow never queues beside the
/// primary's requests; when it falls behind, the queue fills and copies are dropped and counted.
/// The shadows are one immutable snapshot, replaced whole, that the request path reads without locks.
/// </summary>
internal sealed partial class ShadowMirror : IAsyncDisposable, IRouteObserver
{
    /// <summary>How long the worker waits before it looks again when the primary or the shadow is busy.</summary>
    public static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(1);

    private readonly Func<ShadowTarget, InferenceRequest, CancellationToken, ValueTask<InferenceResult<InferenceResponse>>> _run;
    private readonly Func<string, ShadowTarget, bool> _idle;
    private readonly TimeProvider _time;
    private readonly UsherMetrics? _metrics;
    private readonly ILogger _logger;
    private ImmutableDictionary<string, Lane> _lanes = ImmutableDictionary.Create<string, Lane>(StringComparer.Ordinal);
    private IShadowObserver? _observer;

    /// <summary>A mirror that runs copies on the loaded versions of <paramref name="models"/>.</summary>
    public ShadowMirror(ModelManager models, TimeProvider time, UsherMetrics? metrics = null, ILogger<ShadowMirror>? logger = null)
        : this((target, request, ct) => RunAsync(models, target, request, ct), time, metrics, logger, (endpoint, target) => IsIdle(models, endpoint, target))
    {
        ArgumentNullException.ThrowIfNull(models);
    }

    /// <summary>A mirror over any way of running a copy on the shadow (tests hold the shadow back with it).</summary>
    /// <param name="run">Runs one copy on the shadow.</param>
    /// <param name="time">The clock of the shadow's latency and of the worker's waits for spare capacity.</param>
    /// <param name="metrics">Where copies are counted (<c>usher_shadow_requests</c>); null: only <see cref="Counts"/>.</param>
    /// <param name="logger">The mirror's log.</param>
    /// <param name="idle">Whether the endpoint's primary and its shadow have spare capacity now (the worker takes a copy only then); null: always.</param>
    public ShadowMirror(
        Func<ShadowTarget, InferenceRequest, CancellationToken, ValueTask<InferenceResult<InferenceResponse>>> run,
        TimeProvider time, UsherMetrics? metrics = null, ILogger<ShadowMirror>? logger = null, Func<string, ShadowTarget, bool>? idle = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(time);
        _run = run;
        _idle = idle ?? (static (_, _) => true);
        _time = time;
        _metrics = metrics;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Who sees the pairs (the control plane's shadow comparison).</summary>
    public IShadowObserver? Observer
    {
        get => Volatile.Read(ref _observer);
        set => Volatile.Write(ref _observer, value);
    }

    /// <summary>The shadow of <paramref name="endpoint"/>, or null.</summary>
    public ShadowTarget? Find(string endpoint) => _lanes.GetValueOrDefault(endpoint)?.Target;

    /// <summary>Starts mirroring <paramref name="endpoint"/> to <paramref name="target"/>, replacing its previous shadow (whose queue is abandoned).</summary>
    public void Start(string endpoint, ShadowTarget target)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentOutOfRangeException.ThrowIfLessThan(target.QueueCapacity, 1);
        var lane = new Lane(endpoint, target);
        Lane? previous = null;
        ImmutableInterlocked.AddOrUpdate(ref _lanes, endpoint, lane, (_, old) =>
        {
            previous = old;
            return lane;
        });
        previous?.Stop();
        lane.Worker = Task.Run(() => DrainAsync(lane));
        Log.Started(_logger, endpoint, target.Name, target.Percent, target.QueueCapacity);
    }

    /// <summary>Stops mirroring <paramref name="endpoint"/>: copies still queued are dropped, a copy running is cancelled.</summary>
    public void Stop(string endpoint)
    {
        if (ImmutableInterlocked.TryRemove(ref _lanes, endpoint, out var lane))
        {
            lane.Stop();
            Log.Stopped(_logger, endpoint, lane.Target.Name);
        }
    }

    /// <summary>What the endpoint's current shadow did since it started (zeros without one).</summary>
    public ShadowCounts Counts(string endpoint)
        => _lanes.TryGetValue(endpoint, out var lane)
            ? new ShadowCounts(Interlocked.Read(ref lane.Mirrored), Interlocked.Read(ref lane.Dropped), Interlocked.Read(ref lane.Failed), lane.Queue.Reader.Count) { Deferred = Interlocked.Read(ref lane.Deferred), WaitingForIdle = Volatile.Read(ref lane.WaitingForIdle) == 1 }
            : default;

    /// <summary>
    /// Called by the router after the primary answered: when the endpoint has a shadow and the
    /// routing key falls in its share, queues a copy of the request. Never blocks.
    /// </summary>
    public void Offer(string endpoint, string primary, string? routingKey, InferenceRequest request, InferenceResponse response, double latencyMs)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Needs(endpoint, routingKey) != ObservationNeeds.None && _lanes.TryGetValue(endpoint, out var lane))
        {
            Enqueue(lane, primary, InferenceRouter.OwnedCopy(request), response, latencyMs);
        }
    }

    /// <inheritdoc />
    public ObservationNeeds Needs(string endpoint, string? routingKey)
    {
        var lanes = _lanes;
        return !lanes.IsEmpty && lanes.TryGetValue(endpoint, out var lane) && IsMirrored(endpoint, routingKey, lane.Target.Percent)
            ? ObservationNeeds.Shadow
            : ObservationNeeds.None;
    }

    /// <summary>Queues the observation's copy for the endpoint's shadow when the router marked it for mirroring.</summary>
    public void Observe(in RouteObservation observation)
    {
        if ((observation.Needs & ObservationNeeds.Shadow) != 0
            && observation is { Request: { } copy, Response: { } response }
            && _lanes.TryGetValue(observation.Endpoint, out var lane))
        {
            Enqueue(lane, observation.Variant.Name, copy, response, observation.LatencyMs, observation.Trace);
        }
    }

    /// <summary>
    /// Whether a request with <paramref name="routingKey"/> is mirrored at <paramref name="percent"/>:
    /// the sticky hash of the key under the seed <c>shadow:ENDPOINT</c> (independent of the variant
    /// split), so one user is always mirrored or never; without a key, chance decides.
    /// </summary>
    public static bool IsMirrored(string endpoint, string? routingKey, double percent)
    {
        if (percent >= 100)
        {
            return true;
        }

        var bucket = routingKey is { Length: > 0 } key
            ? BucketHash.Hash("shadow:" + endpoint, key)
            : Random.Shared.Next(BucketHash.Buckets) / (double)BucketHash.Buckets;
        return bucket * 100 < percent;
    }

    // The copy is already owned (made on the request path); the shadow runs it pinned to its version.
    private void Enqueue(Lane lane, string primary, InferenceRequest owned, InferenceResponse response, double latencyMs, ActivityContext trace = default)
    {
        var pinned = new InferenceRequest
        {
            ModelName = lane.Target.Model,
            ModelVersion = lane.Target.Version,
            Id = owned.Id,
            Parameters = owned.Parameters,
            Outputs = owned.Outputs,
            Inputs = owned.Inputs,
        };
        if (lane.Queue.Writer.TryWrite(new Job(primary, pinned, response, latencyMs, trace)))
        {
            return;
        }

        Interlocked.Increment(ref lane.Dropped);
        _metrics?.ShadowRequests.Add(1, new("endpoint", lane.Endpoint), new("variant", lane.Target.Name), new("outcome", "dropped"));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        var lanes = Interlocked.Exchange(ref _lanes, _lanes.Clear());
        foreach (var lane in lanes.Values)
        {
            lane.Stop();
        }

        foreach (var lane in lanes.Values.Where(l => l.Worker is not null))
        {
            await lane.Worker!.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task DrainAsync(Lane lane)
    {
        var target = lane.Target;
        try
        {
            var reader = lane.Queue.Reader;
            while (await reader.WaitToReadAsync(lane.Stopping.Token).ConfigureAwait(false))
            {
                // Spare capacity only: while the primary or the shadow has a request in flight, the
                // copy waits in the queue (which drops what does not fit) rather than beside them.
                while (!_idle(lane.Endpoint, target))
                {
                    Interlocked.Increment(ref lane.Deferred);
                    Volatile.Write(ref lane.WaitingForIdle, 1);
                    try
                    {
                        await Task.Delay(IdlePoll, _time, lane.Stopping.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        Volatile.Write(ref lane.WaitingForIdle, 0);
                    }
                }

                if (!reader.TryRead(out var job))
                {
                    continue;
                }

                var started = _time.GetTimestamp();
                InferenceResult<InferenceResponse> result;

                // The copy's span is a child of the request's, when that one was traced.
                using var span = job.Trace != default && UsherActivities.Tracing
                    ? UsherActivities.Source.StartActivity(UsherActivities.Shadow, ActivityKind.Internal, job.Trace)
                    : null;
                span?.SetTag("usher.endpoint", lane.Endpoint).SetTag("usher.variant", target.Name).SetTag("usher.primary", job.Primary);
                try
                {
                    result = await _run(target, job.Request, lane.Stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (lane.Stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    result = InferenceError.Internal($"the shadow threw: {e.Message}");
                }

                var latency = _time.GetElapsedTime(started).TotalMilliseconds;
                var outcome = result.IsSuccess ? "mirrored" : "failed";
                if (result.IsSuccess)
                {
                    Interlocked.Increment(ref lane.Mirrored);
                }
                else
                {
                    Interlocked.Increment(ref lane.Failed);
                }

                _metrics?.ShadowRequests.Add(1, new("endpoint", lane.Endpoint), new("variant", target.Name), new("outcome", outcome));
                if (!result.IsSuccess)
                {
                    Log.ShadowFailed(_logger, lane.Endpoint, target.Name, result.Error.Message);
                    if (span is not null)
                    {
                        UsherActivities.Fail(span, result.Error.Kind.ToString(), result.Error.Message);
                    }
                }

                try
                {
                    Observer?.Observe(new ShadowPair(
                        lane.Endpoint, job.Primary, target, _time.GetUtcNow(), job.Request, job.Response, job.LatencyMs,
                        result.IsSuccess ? result.Value : null, result.IsSuccess ? null : result.Error, latency));
                }
                catch (Exception e)
                {
                    Log.ObserverFailed(_logger, lane.Endpoint, e);
                }
            }
        }
        catch (OperationCanceledException) when (lane.Stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Whether the shadow may take a copy now: no request holds a lease on any loaded version of the
    /// shadow's model (the primary's versions and the shadow's own), nor of the endpoint's model when
    /// that is another one. A lease spans validation, the queue and the compute of a request, so a
    /// shadow copy never waits in a primary's queue nor takes an instance one of its requests wants.
    /// </summary>
    public static bool IsIdle(ModelManager models, string endpoint, ShadowTarget target)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(target);
        return IsIdle(models.Find(target.Model)) && (string.Equals(endpoint, target.Model, StringComparison.Ordinal) || IsIdle(models.Find(endpoint)));
    }

    private static bool IsIdle(ModelEntry? entry)
    {
        var versions = entry?.Versions ?? [];
        for (var i = 0; i < versions.Count; i++)
        {
            if (versions[i].Loaded is { InFlight: > 0 })
            {
                return false;
            }
        }

        return true;
    }

    private static async ValueTask<InferenceResult<InferenceResponse>> RunAsync(ModelManager models, ShadowTarget target, InferenceRequest request, CancellationToken cancellationToken)
    {
        var lease = await models.AcquireAsync(target.Model, target.Version, cancellationToken).ConfigureAwait(false);
        if (!lease.IsSuccess)
        {
            return lease.Error;
        }

        try
        {
            return await lease.Value.InferAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lease.Value.Release();
        }
    }

    private sealed record Job(string Primary, InferenceRequest Request, InferenceResponse Response, double LatencyMs, ActivityContext Trace);

    private sealed class Lane(string endpoint, ShadowTarget target)
    {
#pragma warning disable SA1401 // Counters are fields so that Interlocked can update them.
        public long Mirrored;
        public long Dropped;
        public long Failed;
        public long Deferred;
        public int WaitingForIdle;
#pragma warning restore SA1401

        public string Endpoint { get; } = endpoint;

        public ShadowTarget Target { get; } = target;

        // Wait mode with TryWrite only: a full queue refuses the write at once, and the caller counts the drop.
        public Channel<Job> Queue { get; } = Channel.CreateBounded<Job>(new BoundedChannelOptions(target.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });

        public CancellationTokenSource Stopping { get; } = new();

        public Task? Worker { get; set; }

        public void Stop()
        {
            Queue.Writer.TryComplete();
            Stopping.Cancel();
        }
    }
}
