using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Scheduling;
using Usher.Core.Telemetry;

namespace Usher.Core.Routing;

/// <summary>
/// Mirrors a share of an endpoint's routed requests to a shadow version after the primary has
/// answered. The request path only decides whether a request falls in the share (<see cref="Needs"/>)
/// and, when it does, hands an owned copy straight to the endpoint's bounded queue
/// (<see cref="TryHandOver"/>: lock-free, never waiting; a full queue drops the copy and counts it).
/// One dedicated thread per shadowed endpoint runs the copies pinned to the shadow and hands each
/// pair to the <see cref="Observer"/> (the comparison runs there too, never on a request's thread).
/// The thread runs in batches on its own pace: it looks at its queue once every <see cref="Pace"/> on
/// the injected clock, and at each look runs what is queued while no request holds an instance of
/// the primary or of the shadow (<see cref="IsIdle(ModelManager, string, ShadowTarget)"/>, checked
/// before each slice of at most <see cref="SliceCopies"/> copies); while copies keep coming, a
/// request's hand-over wakes nobody. A slice's copies start under one request stack
/// (<see cref="RequestStack"/>): on a shadow whose model takes a batch dimension they run as one
/// backend run and are split back per copy, each then answered, counted and compared on its own
/// (a stacked copy's latency is its run's). Only a look that
/// finds the queue empty puts the thread to sleep until the next copy wakes it. When the idle
/// moments are too few, the queue fills and copies are dropped and counted. The thread keeps the
/// priority of any other thread: one the kernel schedules last (<c>SCHED_IDLE</c>, nice 19) is kept
/// off a busy CPU for tens of milliseconds at a time, and while it is off in .NET code every garbage
/// collection waits for it to reach a safe point, so the whole server pauses with it (measured:
/// benchmarks/compare/shadow.md).
/// The shadows are one immutable snapshot, replaced whole, that the request path reads without locks.
/// </summary>
internal sealed partial class ShadowMirror : IAsyncDisposable, IRouteObserver
{
    /// <summary>
    /// How long the worker waits between two looks at its queue while copies come: after running what
    /// it could, or after finding the primary or the shadow busy. Copies queue meanwhile without waking
    /// it, so a 10% shadow at 1,000 copies/s costs 200 wakes of one thread a second, not one or more per copy.
    /// </summary>
    public static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// The most copies the worker takes from its queue at once (one slice): they start under one
    /// request stack, so that a shadow whose model takes a batch dimension runs them as one backend
    /// run, and the worker looks whether the primary and the shadow are still idle before the next
    /// slice. A 10% shadow at 23,500 requests/s queues about 12 copies a pace.
    /// </summary>
    public const int SliceCopies = 16;

    // One of the two runs the copies: the loaded versions (one lease a slice), or any way of running one copy.
    private readonly ModelManager? _models;
    private readonly Func<ShadowTarget, InferenceRequest, CancellationToken, ValueTask<InferenceResult<InferenceResponse>>>? _run;
    private readonly Func<string, ShadowTarget, bool> _idle;
    private readonly TimeProvider _time;
    private readonly UsherMetrics? _metrics;
    private readonly ILogger _logger;
    private ImmutableDictionary<string, Lane> _lanes = ImmutableDictionary.Create<string, Lane>(StringComparer.Ordinal);
    private IShadowObserver? _observer;

    /// <summary>A mirror that runs copies on the loaded versions of <paramref name="models"/>, each while the primary and the shadow are idle.</summary>
    public ShadowMirror(ModelManager models, TimeProvider time, UsherMetrics? metrics = null, ILogger<ShadowMirror>? logger = null)
        : this(time, metrics, logger, (endpoint, target) => IsIdle(models, endpoint, target))
    {
        ArgumentNullException.ThrowIfNull(models);
        _models = models;
    }

    /// <summary>A mirror over any way of running a copy on the shadow (tests hold the shadow back with it).</summary>
    /// <param name="run">Runs one copy on the shadow.</param>
    /// <param name="time">The clock of the shadow's latency and of the worker's waits for spare capacity.</param>
    /// <param name="metrics">Where copies are counted (<c>usher_shadow_requests</c>); null: only <see cref="Counts"/>.</param>
    /// <param name="logger">The mirror's log.</param>
    /// <param name="idle">Whether the endpoint's primary and its shadow have spare capacity now (the worker takes a copy only then); null: always.</param>
    public ShadowMirror(
        Func<ShadowTarget, InferenceRequest, CancellationToken, ValueTask<InferenceResult<InferenceResponse>>> run,
        TimeProvider time,
        UsherMetrics? metrics = null,
        ILogger<ShadowMirror>? logger = null,
        Func<string, ShadowTarget, bool>? idle = null)
        : this(time, metrics, logger, idle)
    {
        ArgumentNullException.ThrowIfNull(run);
        _run = run;
    }

    private ShadowMirror(TimeProvider time, UsherMetrics? metrics, ILogger<ShadowMirror>? logger, Func<string, ShadowTarget, bool>? idle)
    {
        ArgumentNullException.ThrowIfNull(time);
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

        // A thread of its own, so that the shadow's work (and the inference, which ONNX Runtime runs
        // on the calling thread) and its waits never take a thread-pool thread from requests.
        // UnsafeStart: the caller's execution context (an admin request's span) does not flow into it.
        var thread = new Thread(() => Work(lane)) { IsBackground = true, Name = "usher-shadow" };
        thread.UnsafeStart();
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
            ? new ShadowCounts(Interlocked.Read(ref lane.Mirrored), Interlocked.Read(ref lane.Dropped), Interlocked.Read(ref lane.Failed), Math.Min(Volatile.Read(ref lane.Count), lane.Target.QueueCapacity)) { Deferred = Interlocked.Read(ref lane.Deferred), Waiting = Volatile.Read(ref lane.Waiting) == 1, Wakes = Interlocked.Read(ref lane.Wakes) }
            : default;

    /// <summary>
    /// Called after the primary answered: when the endpoint has a shadow and the routing key falls
    /// in its share, queues a copy of the request. Never blocks.
    /// </summary>
    public void Offer(string endpoint, string primary, string? routingKey, InferenceRequest request, InferenceResponse response, double latencyMs)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Needs(endpoint, routingKey) != ObservationNeeds.None && _lanes.TryGetValue(endpoint, out var lane))
        {
            Enqueue(lane, new Job(primary, InferenceRouter.OwnedCopy(request), response, latencyMs, default));
        }
    }

    /// <inheritdoc />
    public ObservationNeeds Needs(string endpoint, string? routingKey)
    {
        var lanes = _lanes;
        return !lanes.IsEmpty && lanes.TryGetValue(endpoint, out var lane) && IsMirroredUnder(lane.Seed, routingKey, lane.Target.Percent)
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
            Enqueue(lane, new Job(observation.Variant.Name, copy, response, observation.LatencyMs, observation.Trace));
        }
    }

    /// <summary>
    /// Queues an owned copy of a request the router marked for mirroring (<see cref="Needs"/>), on
    /// the request's thread: a lock-free enqueue that wakes the shadow's thread only when it sleeps,
    /// or a counted drop when the queue is full. False when the endpoint has no shadow (any more).
    /// </summary>
    public bool TryHandOver(string endpoint, string primary, InferenceRequest copy, InferenceResponse response, double latencyMs, ActivityContext trace)
    {
        if (!_lanes.TryGetValue(endpoint, out var lane))
        {
            return false;
        }

        Enqueue(lane, new Job(primary, copy, response, latencyMs, trace));
        return true;
    }

    /// <summary>
    /// Whether a request with <paramref name="routingKey"/> is mirrored at <paramref name="percent"/>:
    /// the sticky hash of the key under the seed <c>shadow:ENDPOINT</c> (independent of the variant
    /// split), so one user is always mirrored or never; without a key, chance decides.
    /// </summary>
    public static bool IsMirrored(string endpoint, string? routingKey, double percent)
        => IsMirroredUnder(Lane.SeedOf(endpoint), routingKey, percent);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        var lanes = Interlocked.Exchange(ref _lanes, _lanes.Clear());
        foreach (var lane in lanes.Values)
        {
            lane.Stop();
        }

        foreach (var lane in lanes.Values)
        {
            await lane.Exited.Task.ConfigureAwait(false);
        }
    }

    // The seed is the lane's, built once: a request with a key builds no string to be hashed.
    private static bool IsMirroredUnder(string seed, string? routingKey, double percent)
    {
        if (percent >= 100)
        {
            return true;
        }

        var bucket = routingKey is { Length: > 0 } key
            ? BucketHash.Hash(seed, key)
            : Random.Shared.Next(BucketHash.Buckets) / (double)BucketHash.Buckets;
        return bucket * 100 < percent;
    }

    // The copy is already owned (made on the request path); the shadow's thread pins it to its version.
    private void Enqueue(Lane lane, in Job job)
    {
        if (lane.TryEnqueue(job))
        {
            return;
        }

        Interlocked.Increment(ref lane.Dropped);
        _metrics?.ShadowRequests.Add(1, new("endpoint", lane.Endpoint), new("variant", lane.Target.Name), new("outcome", "dropped"));
    }

    // The shadow's thread: at each look, runs the queued copies while the primary and the shadow are
    // idle, then waits one pace; a look that finds nothing queued sleeps until a copy wakes it.
    private void Work(Lane lane)
    {
        var token = lane.Stopping.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (!lane.HasWork)
                {
                    lane.WaitForWork(token);
                    continue;
                }

                // Spare capacity only: while the primary or the shadow has a request in flight, the
                // copies wait in the queue (which drops what does not fit) rather than beside them.
                // Checked again before each slice, so a request that arrives meanwhile waits for one
                // slice's run at most.
                while (lane.HasWork && _idle(lane.Endpoint, lane.Target))
                {
                    RunSlice(lane, token);
                }

                if (lane.HasWork)
                {
                    Interlocked.Increment(ref lane.Deferred);
                }

                WaitOnePace(lane, token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        finally
        {
            lane.Exited.TrySetResult();
        }
    }

    // Copies that arrive meanwhile queue without waking the thread (it is not asleep on the queue).
    private void WaitOnePace(Lane lane, CancellationToken token)
    {
        Volatile.Write(ref lane.Waiting, 1);
        try
        {
            // The thread is the shadow's own, so it may block. On the system clock, a timed wait in the
            // kernel (which a stop ends early): no timer of the thread pool fires and wakes a second
            // thread to wake this one. Any other clock (tests') is waited on through its own timer.
            if (ReferenceEquals(_time, TimeProvider.System))
            {
                token.WaitHandle.WaitOne(Pace);
                token.ThrowIfCancellationRequested();
            }
            else
            {
                Task.Delay(Pace, _time, token).GetAwaiter().GetResult();
            }
        }
        finally
        {
            Volatile.Write(ref lane.Waiting, 0);
        }
    }

    // Takes up to SliceCopies queued copies and starts each under one request stack: on a shadow whose
    // model takes a batch dimension, the copies the stack can join (same non-batch dims and outputs,
    // within max_batch_size rows) run as one backend run of their rows, split back per copy by the
    // batcher's own code (RequestStack, BatchAssembler); anything else runs one by one as before.
    // Each copy is still validated, answered, counted and compared on its own.
    private void RunSlice(Lane lane, CancellationToken token)
    {
        var target = lane.Target;
        var slice = lane.Slice;
        var count = 0;
        while (count < SliceCopies && lane.TryDequeue(out var job))
        {
            var owned = job.Request;
            slice[count++] = new Copy(job, new InferenceRequest
            {
                ModelName = target.Model,
                ModelVersion = target.Version,
                Id = owned.Id,
                Parameters = owned.Parameters,
                Outputs = owned.Outputs,
                Inputs = owned.Inputs,
            });
        }

        // On the loaded versions, one lease on the shadow's version holds it for the whole slice, released
        // once every copy has its answer: no async wrapper per copy to hold a lease of its own.
        var lease = _models is null ? default : Lease(target, token);
        var started = _time.GetTimestamp();
        try
        {
            // A lone copy has nothing to stack with: it runs as before, without the stack's hand-offs.
            using (count > 1 ? RequestStack.Open(token) : null)
            {
                for (var i = 0; i < count; i++)
                {
                    Start(lane, ref slice[i], lease, token);
                }
            }

            // Every copy's answer first, each latency read as it comes (a copy's latency is its run's,
            // a stacked run's for a stacked copy), then the pairs: no comparison delays a latency.
            for (var i = 0; i < count; i++)
            {
                ref var copy = ref slice[i];
                copy.Result = Finish(copy.Pending, token);
                copy.Finished = true;
                copy.LatencyMs = _time.GetElapsedTime(started).TotalMilliseconds;
            }

            for (var i = 0; i < count; i++)
            {
                Report(lane, slice[i]);
            }
        }
        finally
        {
            if (lane.Stopping.IsCancellationRequested)
            {
                // Stopped mid-slice: the copies still running hold the version, as the lease does.
                Drain(slice.AsSpan(0, count));
            }

            if (lease.IsSuccess && _models is not null)
            {
                lease.Value.Release();
            }

            // The lane keeps its buffers for the next slice, not what this one held.
            for (var i = 0; i < count; i++)
            {
                slice[i].Span?.Dispose();
                slice[i] = default;
            }
        }
    }

    // The slice's lease on the shadow's version; a failure fails each copy of the slice, on its own.
    private InferenceResult<ModelVersion> Lease(ShadowTarget target, CancellationToken token)
    {
        try
        {
            // The thread is the shadow's own: it may wait for a version that loads (a memory budget's).
            var acquiring = _models!.AcquireAsync(target.Model, target.Version, token);
            return acquiring.IsCompletedSuccessfully ? acquiring.Result : acquiring.AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            return InferenceError.Internal($"the shadow threw: {e.Message}");
        }
    }

    // Waits for the copies that were started and not finished, whatever they give.
    private static void Drain(Span<Copy> copies)
    {
        foreach (ref var copy in copies)
        {
            if (copy.Finished || copy.Pending.IsCompleted)
            {
                continue;
            }

            try
            {
                copy.Pending.AsTask().Wait();
            }
#pragma warning disable CA1031 // only the end of the run matters here, not its outcome
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    private void Start(Lane lane, ref Copy copy, in InferenceResult<ModelVersion> lease, CancellationToken token)
    {
        // The copy's span is a child of the request's, when that one was traced; the inference's
        // spans are the copy's children. The next copy's span is not: it is made current only here.
        var job = copy.Job;
        var outer = Activity.Current;
        copy.Span = job.Trace != default && UsherActivities.Tracing
            ? UsherActivities.Source.StartActivity(UsherActivities.Shadow, ActivityKind.Internal, job.Trace)
            : null;
        copy.Span?.SetTag("usher.endpoint", lane.Endpoint).SetTag("usher.variant", lane.Target.Name).SetTag("usher.primary", job.Primary);
        try
        {
            // An ONNX model without a batcher answers synchronously, on this thread, once the stack
            // closes; anything else is waited for in Finish, which only this thread pays.
            copy.Pending = _run is not null ? _run(lane.Target, copy.Pinned, token)
                : lease.IsSuccess ? lease.Value.InferAsync(copy.Pinned, token)
                : new(lease.Error);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            copy.Pending = new(InferenceResult<InferenceResponse>.Failure(InferenceError.Internal($"the shadow threw: {e.Message}")));
        }
        finally
        {
            Activity.Current = outer;
        }
    }

    private static InferenceResult<InferenceResponse> Finish(ValueTask<InferenceResult<InferenceResponse>> pending, CancellationToken token)
    {
        try
        {
            return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            return InferenceError.Internal($"the shadow threw: {e.Message}");
        }
    }

    private void Report(Lane lane, in Copy copy)
    {
        var target = lane.Target;
        var result = copy.Result;
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
            if (copy.Span is { } span)
            {
                UsherActivities.Fail(span, result.Error.Kind.ToString(), result.Error.Message);
            }
        }

        var job = copy.Job;
        try
        {
            Observer?.Observe(new ShadowPair(
                lane.Endpoint, job.Primary, target, _time.GetUtcNow(), copy.Pinned, job.Response, job.LatencyMs,
                result.IsSuccess ? result.Value : null, result.IsSuccess ? null : result.Error, copy.LatencyMs));
        }
        catch (Exception e)
        {
            Log.ObserverFailed(_logger, lane.Endpoint, e);
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

    private readonly record struct Job(string Primary, InferenceRequest Request, InferenceResponse Response, double LatencyMs, ActivityContext Trace);

    // One copy of a slice: the job, its request pinned to the shadow, and what running it gave.
    private struct Copy(Job job, InferenceRequest pinned)
    {
        public readonly Job Job = job;
        public readonly InferenceRequest Pinned = pinned;
        public ValueTask<InferenceResult<InferenceResponse>> Pending;
        public InferenceResult<InferenceResponse> Result;
        public double LatencyMs;
        public bool Finished;
        public Activity? Span;
    }

    private sealed class Lane(string endpoint, ShadowTarget target)
    {
#pragma warning disable SA1401 // Counters are fields so that Interlocked can update them.
        public long Mirrored;
        public long Dropped;
        public long Failed;
        public long Deferred;
        public long Wakes;
        public int Waiting;
        public int Count;
#pragma warning restore SA1401

        // 1 while the thread sleeps (or is about to) on an empty queue: the writer that finds it wakes
        // it. While it waits out a pace instead, this stays 0 and writers only queue.
        private int _sleeping;

        private readonly ConcurrentQueue<Job> _queue = new();

        // No spinning: the writer is a request's thread, which has its answer to write.
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);

        public string Endpoint { get; } = endpoint;

        public ShadowTarget Target { get; } = target;

        public string Seed { get; } = SeedOf(endpoint);

        // The worker's own: one slice's copies, reused from slice to slice.
        public Copy[] Slice { get; } = new Copy[SliceCopies];

        public bool HasWork => !_queue.IsEmpty;

        public CancellationTokenSource Stopping { get; } = new();

        public TaskCompletionSource Exited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public static string SeedOf(string endpoint) => "shadow:" + endpoint;

        // Never waits: a full queue refuses the copy at once, and the caller counts the drop. Wakes
        // the thread only when it sleeps on an empty queue, so while copies keep coming the writer
        // makes no system call and wakes no thread at the end of a request.
        public bool TryEnqueue(in Job job)
        {
            if (Interlocked.Increment(ref Count) > Target.QueueCapacity)
            {
                Interlocked.Decrement(ref Count);
                return false;
            }

            _queue.Enqueue(job);

            // A plain read first: under load the thread is pacing, and the writer writes no shared line.
            if (Volatile.Read(ref _sleeping) == 1 && Interlocked.Exchange(ref _sleeping, 0) == 1)
            {
                Interlocked.Increment(ref Wakes);
                _wake.Set();
            }

            return true;
        }

        public bool TryDequeue(out Job job)
        {
            if (_queue.TryDequeue(out job))
            {
                Interlocked.Decrement(ref Count);
                return true;
            }

            return false;
        }

        // Announces the sleep, looks once more (a copy queued before the announcement was seen by
        // a writer that did not wake anyone), then blocks until a writer wakes it or the lane stops.
        public void WaitForWork(CancellationToken token)
        {
            Interlocked.Exchange(ref _sleeping, 1);
            if (!_queue.IsEmpty && Interlocked.Exchange(ref _sleeping, 0) == 1)
            {
                return;
            }

            _wake.Wait(token);
            _wake.Reset();
        }

        public void Stop() => Stopping.Cancel();
    }
}
