using Usher.Core.Inference;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;

namespace Usher.Core.Scheduling;

/// <summary>
/// One version's scheduler: priority queues (<see cref="BatchQueue"/>) in front of an instance pool.
/// A request that meets an idle instance and an empty queue runs on the caller's thread (in the
/// adaptive mode, unless it is held for company); with batching off, one that meets an idle instance
/// and requests queued ahead of it runs them and then itself on the caller's thread. Otherwise
/// each of the <see cref="BatcherSettings.Instances"/> executors forms a batch (Triton's algorithm:
/// walk the queue in order, stop at the max batch size or at the first request whose non-batch shape
/// or outputs differ; in <see cref="BatchingMode.Delay"/> send a preferred size at once, otherwise
/// wait until the oldest request has waited <c>max_queue_delay</c>; in
/// <see cref="BatchingMode.Adaptive"/> never wait, except that a lone request may be held for the
/// callers of the batch just run: see HoldBound), runs it on the backend, and splits the outputs
/// back. The thread that finishes a batch takes the next one itself rather than waking another; when
/// no request waits, it runs its batch's last caller's continuation itself instead of handing it to
/// the thread pool.
/// Timeouts fire on their own timer, so a request is failed on time even while every executor is
/// busy; a canceled request leaves the queue at once and is never computed.
/// </summary>
internal sealed class DynamicBatcher : IAsyncDisposable
{
    /// <summary>The longest a lone request waits for company in the adaptive mode (see HoldBound).</summary>
    internal static readonly TimeSpan MaxHold = TimeSpan.FromMilliseconds(1);

    private readonly BatcherSettings _settings;
    private readonly string _label;
    private readonly BatchRunner _runner;
    private readonly MemoryBudget _budget;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly BatchQueue _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(Thread Thread, Task Done)> _executors = [];
    private readonly ExecutorWakeup _wakeup;
    private int _instances;
    private int _busy;
    private int _waiting;
    private int _continuing;
    private int _returning;
    private int _lastBatchRows;
    private bool _stopped;

    public DynamicBatcher(
        BatcherSettings settings,
        Func<IReadOnlyList<Tensor>, IReadOnlyList<string>, IReadOnlyList<Tensor>> run,
        string label,
        ModelMetrics metrics,
        MemoryBudget budget,
        TimeProvider time)
    {
        _settings = settings;
        _label = label;
        _budget = budget;
        _instances = settings.Instances;
        Load = new InstanceLoad(settings.Instances, time);
        _runner = new BatchRunner(run, label, metrics, budget, time, ExecutionTime, Load);
        _time = time;
        _queue = new BatchQueue(settings, ExecutionTime, time.TimestampFrequency);
        _wakeup = new ExecutorWakeup(time, _stop.Token);

        lock (_lock)
        {
            StartExecutors(settings.Instances);
        }
    }

    /// <summary>Requests queued and not yet running.</summary>
    public int Pending
    {
        get
        {
            lock (_lock)
            {
                return _queue.Pending;
            }
        }
    }

    /// <summary>The share of instances running a batch right now.</summary>
    public double Utilization => (double)Volatile.Read(ref _busy) / Volatile.Read(ref _instances);

    /// <summary>The instances that may run a batch at once now (<see cref="SetInstances"/> changes it).</summary>
    public int Instances => Volatile.Read(ref _instances);

    /// <summary>Busy time and requests of the instances over a recent window.</summary>
    public InstanceLoad Load { get; }

    public BatcherSettings Settings => _settings;

    /// <summary>What the batcher has learned of its batch execution time.</summary>
    public ExecutionTimeModel ExecutionTime { get; } = new();

    /// <summary>
    /// Changes how many batches may run at once. More: idle executors start (threads are made up to
    /// the highest count asked for, then kept) and take queued work at once. Fewer: running batches
    /// finish, and no executor takes another until the busy count is under the new limit.
    /// </summary>
    public void SetInstances(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        lock (_lock)
        {
            if (_stopped || count == _instances)
            {
                return;
            }

            Load.SetInstances(count);
            Volatile.Write(ref _instances, count);
            StartExecutors(count);
        }

        Signal();
    }

    /// <summary>
    /// Queues a validated request at <paramref name="level"/> (1 = highest) with the client's queue
    /// timeout, if any; completes when its batch has run, or with the reason it never will.
    /// </summary>
    /// <remarks>
    /// A request run on the caller's thread comes back as a completed <see cref="ValueTask{TResult}"/>
    /// with nothing allocated for its completion; a queued one completes through its
    /// <see cref="QueuedRequest"/>. Await the result once.
    /// </remarks>
    public ValueTask<InferenceResult<BatchResult>> EnqueueAsync(ValidatedRequest request, int level, TimeSpan? clientTimeout, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return new(InferenceResult<BatchResult>.Failure(Canceled()));
        }

        var policy = _settings.Policies[level - 1];
        var timeout = policy.DefaultTimeout;
        if (clientTimeout is TimeSpan asked && (timeout is null || (policy.AllowTimeoutOverride && asked < timeout)))
        {
            // Unlike Triton, a client's timeout counts even when the model sets no default.
            timeout = asked;
        }

        var now = _time.GetTimestamp();
        var item = new QueuedRequest(request, level, now, BatchRunner.InputBytes(request));
        InferenceError? refused = null;
        var runInline = false;
        var runQueued = false;
        var wakeExecutor = false;
        lock (_lock)
        {
            if (_stopped)
            {
                refused = InferenceError.Unavailable($"{_label} is shutting down");
            }
            else if (_queue.CountAt(level) >= policy.MaxQueueSize)
            {
                refused = new InferenceError(InferenceErrorKind.ResourceExhausted, $"{_label}: the queue{(_settings.Levels > 1 ? $" of priority {level}" : string.Empty)} is full ({policy.MaxQueueSize} requests); retry later");
            }
            else if (_settings.LatencyTarget is TimeSpan target && _queue.EstimatedWait(item.Rows, _instances) is var estimate && estimate > target)
            {
                refused = new InferenceError(InferenceErrorKind.ResourceExhausted, $"{_label}: cannot meet the latency target of {target.TotalMilliseconds:0.###} ms (estimated {estimate.TotalMilliseconds:0.###} ms with {_queue.Pending} requests queued); retry later");
            }
            else if (!_budget.TryReserve(item.Bytes))
            {
                refused = new InferenceError(InferenceErrorKind.ResourceExhausted, $"the server holds {_budget.Used} bytes of requests, its bound (scheduling.max_in_flight_bytes = {_budget.Limit}); retry later");
            }
            else
            {
                if (_returning > 0)
                {
                    // Likely one of the last batch's callers, back with its next request.
                    _returning--;
                }

                var idle = _busy < _instances && _settings.RunsLoneRequestAtOnce;
                var lone = idle && _queue.Pending == 0;
                var hold = lone ? HoldBound() : null;
                if (lone && hold is null)
                {
                    // An idle instance and nothing to batch with: run on the caller's thread, saving
                    // the hand-off to an executor. A queued request would have been taken the same way.
                    Interlocked.Increment(ref _busy);
                    runInline = true;
                }
                else
                {
                    if (_settings.LatencyTarget is TimeSpan latency)
                    {
                        item.Deadline = now + _queue.Ticks(latency);
                    }

                    _queue.Add(item);
                    var held = false;
                    if (hold is TimeSpan bound)
                    {
                        _queue.Hold(now + _queue.Ticks(bound), now + _queue.Ticks(MaxHold));
                        held = true;
                    }
                    else if (_queue.HoldUntil is long until && (_returning == 0 || now >= until || _queue.PendingRows >= _settings.MaxBatchSize))
                    {
                        // Every caller expected is back, the hold's bound has passed, or the batch is full.
                        _queue.EndHold();
                    }

                    if (idle && _settings.MaxBatchSize == 0)
                    {
                        // Batching off and an instance idle: the requests ahead wait only for an
                        // executor to wake or to come back from a caller's continuation, and there is
                        // nothing to batch them with. This caller takes the instance and runs them and
                        // then its own, in the queue's order (see RunInline).
                        Interlocked.Increment(ref _busy);
                        runQueued = true;
                    }
                    else
                    {
                        // An executor that is not waiting looks at the queue again before it waits: waking
                        // it would cost a completion and an allocation per request under load. One that
                        // waits out a hold is woken when the hold starts (to arm its bound) and ends.
                        wakeExecutor = _waiting > 0 && (held || _queue.HoldUntil is null);
                    }
                }
            }
        }

        if (refused is not null)
        {
            return new(InferenceResult<BatchResult>.Failure(refused));
        }

        if (runInline)
        {
            RunInline(item, queued: false);
            return new(item.Result);
        }

        // Outside the lock: a timer or a token that fires at once takes the lock itself.
        if (timeout is TimeSpan t)
        {
            item.Timer = _time.CreateTimer(static s => ((Expiry)s!).Fire(), new Expiry(this, item, t), t, Timeout.InfiniteTimeSpan);
        }

        if (cancellationToken.CanBeCanceled)
        {
            item.Cancellation = cancellationToken.Register(static s => ((Expiry)s!).Cancel(), new Expiry(this, item, TimeSpan.Zero));
        }

        if (wakeExecutor)
        {
            Signal();
        }
        else if (runQueued)
        {
            RunInline(item, queued: true);
        }

        return item.Completion;
    }

    public async ValueTask DisposeAsync()
    {
        List<QueuedRequest> abandoned;
        lock (_lock)
        {
            _stopped = true;
            abandoned = _queue.TakeAll();
        }

        foreach (var item in abandoned)
        {
            _runner.Finish(item, InferenceError.Unavailable($"{_label} was unloaded before the request ran"));
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        Signal();
        // An executor may run a caller's continuation inline (the last request of a batch), and that
        // continuation may dispose this batcher: waiting for its own thread would never end. It leaves
        // its loop once the continuation returns, since the stop is requested.
        Task[] executors;
        lock (_lock)
        {
            executors = [.. _executors.Where(e => e.Thread != Thread.CurrentThread).Select(e => e.Done)];
        }

        try
        {
            await Task.WhenAll(executors).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private void RunExecutor()
    {
        while (!_stop.IsCancellationRequested)
        {
            var wake = _wakeup.Current;
            List<QueuedRequest>? batch;
            List<QueuedRequest>? late;
            long? waitUntil;
            lock (_lock)
            {
                // Every instance slot is taken (by executors or by requests run inline): wait for one.
                (batch, waitUntil, late) = _busy >= _instances ? (null, null, null) : TakeBatch();
                if (batch is not null)
                {
                    Interlocked.Increment(ref _busy);
                }
                else
                {
                    // Counted under the lock that producers read it under: a request queued after
                    // this point signals, and the signal completes the wake this loop read above.
                    _waiting++;
                }
            }

            RejectLate(late);

            if (batch is not null)
            {
                (QueuedRequest Item, InferenceResult<BatchResult> Result)? held = null;
                bool continueHere;
                try
                {
                    held = _runner.Execute(batch, holdLast: true);
                }
                finally
                {
                    lock (_lock)
                    {
                        Interlocked.Decrement(ref _busy);
                        Ran(batch);
                        continueHere = held is not null && _queue.Pending == 0;
                        if (continueHere)
                        {
                            _continuing++;
                        }
                    }
                }

                if (held is var (item, result))
                {
                    // Nothing waits for the instance: this thread would only wait for the next
                    // request, so it runs the last caller's continuation (its response) itself
                    // rather than handing it to a pool thread. The instance is given back first,
                    // so a request that comes meanwhile runs at once on its own thread (and one
                    // that queues behind it is taken by that thread: see RunInline). Requests
                    // waiting: the continuation goes to the pool and this thread runs the next batch.
                    BatchRunner.Complete(item, result, continueHere);
                    if (continueHere)
                    {
                        lock (_lock)
                        {
                            _continuing--;
                        }
                    }
                }

                continue;
            }

            // Blocks this executor's own thread only; the timers and wake-ups complete elsewhere.
            _wakeup.Wait(wake, waitUntil);
            lock (_lock)
            {
                _waiting--;
            }
        }
    }

    // Under the lock. Executors are dedicated threads: a backend run blocks its thread for the whole
    // batch, and on the thread pool that starves the requests that should be filling the next batch.
    private void StartExecutors(int count)
    {
        while (_executors.Count < count)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try
                {
                    RunExecutor();
                }
                finally
                {
                    done.TrySetResult();
                }
            })
            {
                IsBackground = true,
                Name = $"usher executor {_executors.Count + 1}: {_label}",
            };
            thread.Start();
            _executors.Add((thread, done.Task));
        }
    }

    // A caller's thread holding an instance slot runs batches until it hands the slot back, waking an
    // executor only when work waits. Its request not queued (inline): its own batch first; then, in
    // the adaptive mode, the batch that grew meanwhile (once: its own caller waits for it) instead of
    // waking an executor, and in any mode it does so when the executor is away running a caller's
    // continuation. Its request queued (batching off, an instance idle: see EnqueueAsync): batches
    // from the head of the queue (one request each) until its own request has left the queue: run
    // here (its answer is then ready when EnqueueAsync returns), or taken by an executor, timed out or
    // canceled. The queue's order holds, and no request waits for a hand-off while an instance is free.
    private void RunInline(QueuedRequest item, bool queued)
    {
        List<QueuedRequest>? batch = queued ? null : [item];
        var takeOver = !queued && _settings.Mode == BatchingMode.Adaptive;
        var tookOver = queued;
        while (true)
        {
            if (batch is not null)
            {
                _runner.Execute(batch);
            }

            List<QueuedRequest>? next = null;
            List<QueuedRequest>? late = null;
            var wake = false;
            lock (_lock)
            {
                if (batch is not null)
                {
                    Ran(batch);
                }

                // An executor running a caller's continuation is not waiting and would not see the
                // queue until it returns: this thread takes what queued meanwhile (once) instead.
                var executorAway = _continuing > 0 && _waiting == 0;
                var take = queued ? item.Node is not null : (takeOver || (executorAway && !tookOver)) && _queue.Pending > 0;
                if (take && !_stopped)
                {
                    (next, _, late) = TakeBatch();
                }

                if (next is null)
                {
                    Interlocked.Decrement(ref _busy);
                    wake = _queue.Pending > 0 && _waiting > 0;
                }
            }

            RejectLate(late);
            if (next is null)
            {
                if (wake)
                {
                    Signal();
                }

                return;
            }

            if (batch is not null)
            {
                takeOver = false;
                tookOver = true;
            }

            batch = next;
        }
    }

    // Under the lock: forms a batch and takes its requests out of the queue.
    private (List<QueuedRequest>? Batch, long? WaitUntil, List<QueuedRequest>? Late) TakeBatch()
    {
        var formed = _queue.Form(_time.GetTimestamp());
        if (formed.Batch is null)
        {
            return formed;
        }

        _queue.EndHold();
        foreach (var item in formed.Batch)
        {
            _queue.Detach(item);
        }

        return formed;
    }

    // Under the lock, as a batch's run ends: its callers are likely to come back (a client that
    // waited for its answer sends its next request), and a lone request that meets them on their
    // way may wait for them (HoldBound).
    private void Ran(List<QueuedRequest> batch)
    {
        var rows = 0;
        foreach (var item in batch)
        {
            rows += item.Rows;
        }

        _returning = batch.Count;
        _lastBatchRows = rows;
    }

    // Under the lock, for a lone request that meets an idle instance and an empty queue: how long
    // it waits for company, or null to run it at once. The adaptive mode holds it while callers of
    // the batch just run (more than this one) are still to come back with their next requests: the
    // first arrival after the time that batch is predicted to run (at most MaxHold) ends the hold,
    // and without one the executor's guard ends it after MaxHold. Two batches of one cost more than
    // one batch of two on a model whose batch has a fixed cost, and a wait as long as the batch
    // just run at most doubles the latency of a request that waits in vain. A
    // lone client (every batch a batch of one) is never held, and neither is the delay mode, a
    // latency target or batching off.
    private TimeSpan? HoldBound()
    {
        if (_returning == 0 || _settings.Mode != BatchingMode.Adaptive || _settings.MaxBatchSize == 0)
        {
            return null;
        }

        var bound = ExecutionTime.Predict(_lastBatchRows);
        return bound > TimeSpan.Zero ? (bound < MaxHold ? bound : MaxHold) : null;
    }

    private void RejectLate(List<QueuedRequest>? late)
    {
        foreach (var item in late ?? [])
        {
            _runner.Finish(item, new InferenceError(InferenceErrorKind.ResourceExhausted, $"{_label}: the request can no longer meet the latency target of {_settings.LatencyTarget!.Value.TotalMilliseconds:0.###} ms; rejected rather than served late"));
        }
    }

    private static InferenceError Canceled() => new(InferenceErrorKind.Canceled, "the client canceled the request");

    private void Signal() => _wakeup.Signal();

    private sealed class Expiry(DynamicBatcher batcher, QueuedRequest item, TimeSpan timeout)
    {
        public void Fire() => batcher.OnTimeout(item, timeout);

        public void Cancel() => batcher.OnCanceled(item);
    }

    private void OnTimeout(QueuedRequest item, TimeSpan timeout)
    {
        lock (_lock)
        {
            if (item.Node is null || item.Delayed)
            {
                return;
            }

            if (_settings.Policies[item.Level - 1].TimeoutAction == Models.TimeoutAction.Delay)
            {
                _queue.Delay(item);
                return;
            }

            _queue.Detach(item);
        }

        _runner.Finish(item, new InferenceError(InferenceErrorKind.Timeout, $"{_label}: the request waited its timeout of {timeout.TotalMilliseconds:0.###} ms in the queue without running"));
    }

    private void OnCanceled(QueuedRequest item)
    {
        lock (_lock)
        {
            if (!_queue.Detach(item))
            {
                return;
            }
        }

        _runner.Finish(item, Canceled());
    }
}
