using Usher.Core.Inference;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;

namespace Usher.Core.Scheduling;

/// <summary>
/// One version's scheduler: priority queues in front of an instance pool. Each of the
/// <see cref="BatcherSettings.Instances"/> executors forms a batch (Triton's algorithm: walk the
/// queue in order, stop at the max batch size or at the first request whose non-batch shape or
/// outputs differ, send a preferred size at once, otherwise wait until the oldest request has
/// waited <c>max_queue_delay</c>), runs it on the backend, and splits the outputs back.
/// Timeouts fire on their own timer, so a request is failed on time even while every executor is
/// busy; a canceled request leaves the queue at once and is never computed.
/// </summary>
internal sealed class DynamicBatcher : IAsyncDisposable
{
    private readonly BatcherSettings _settings;
    private readonly Func<IReadOnlyList<Tensor>, IReadOnlyList<string>, IReadOnlyList<Tensor>> _run;
    private readonly string _label;
    private readonly ModelMetrics _metrics;
    private readonly MemoryBudget _budget;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly LinkedList<QueuedRequest>[] _levels;
    private readonly LinkedList<QueuedRequest> _delayed = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _executors;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pending;
    private long _pendingRows;
    private int _busy;
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
        _run = run;
        _label = label;
        _metrics = metrics;
        _budget = budget;
        _time = time;
        _levels = new LinkedList<QueuedRequest>[settings.Levels];
        for (var i = 0; i < _levels.Length; i++)
        {
            _levels[i] = new LinkedList<QueuedRequest>();
        }

        // Executors are dedicated threads: a backend run blocks its thread for the whole batch, and
        // on the thread pool that starves the requests that should be filling the next batch.
        _executors = new Task[settings.Instances];
        for (var i = 0; i < _executors.Length; i++)
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
                Name = $"usher executor {i + 1}: {label}",
            };
            thread.Start();
            _executors[i] = done.Task;
        }
    }

    /// <summary>Requests queued and not yet running.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>The share of instances running a batch right now.</summary>
    public double Utilization => (double)Volatile.Read(ref _busy) / _settings.Instances;

    public BatcherSettings Settings => _settings;

    /// <summary>What the batcher has learned of its batch execution time.</summary>
    public ExecutionTimeModel ExecutionTime { get; } = new();

    /// <summary>
    /// Queues a validated request at <paramref name="level"/> (1 = highest) with the client's queue
    /// timeout, if any; completes when its batch has run, or with the reason it never will.
    /// </summary>
    public Task<InferenceResult<BatchResult>> EnqueueAsync(ValidatedRequest request, int level, TimeSpan? clientTimeout, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromResult(InferenceResult<BatchResult>.Failure(Canceled()));
        }

        var policy = _settings.Policies[level - 1];
        var timeout = policy.DefaultTimeout;
        if (clientTimeout is TimeSpan asked && (timeout is null || (policy.AllowTimeoutOverride && asked < timeout)))
        {
            // Unlike Triton, a client's timeout counts even when the model sets no default.
            timeout = asked;
        }

        var now = _time.GetTimestamp();
        var item = new QueuedRequest(request, level, now, InputBytes(request));
        InferenceError? refused = null;
        var runInline = false;
        lock (_lock)
        {
            if (_stopped)
            {
                refused = InferenceError.Unavailable($"{_label} is shutting down");
            }
            else if (_levels[level - 1].Count >= policy.MaxQueueSize)
            {
                refused = new InferenceError(InferenceErrorKind.ResourceExhausted, $"{_label}: the queue{(_settings.Levels > 1 ? $" of priority {level}" : string.Empty)} is full ({policy.MaxQueueSize} requests); retry later");
            }
            else if (_settings.LatencyTarget is TimeSpan target && EstimatedWait(item.Rows) is var estimate && estimate > target)
            {
                refused = new InferenceError(InferenceErrorKind.ResourceExhausted, $"{_label}: cannot meet the latency target of {target.TotalMilliseconds:0.###} ms (estimated {estimate.TotalMilliseconds:0.###} ms with {_pending} requests queued); retry later");
            }
            else if (!_budget.TryReserve(item.Bytes))
            {
                refused = new InferenceError(InferenceErrorKind.ResourceExhausted, $"the server holds {_budget.Used} bytes of requests, its bound (scheduling.max_in_flight_bytes = {_budget.Limit}); retry later");
            }
            else if (_pending == 0 && _busy < _settings.Instances && _settings.LatencyTarget is null
                && (_settings.MaxBatchSize == 0 || _settings.MaxQueueDelay == TimeSpan.Zero))
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
                    item.Deadline = now + Ticks(latency);
                }

                item.Node = _levels[level - 1].AddLast(item);
                _pending++;
                _pendingRows += item.Rows;
            }
        }

        if (refused is not null)
        {
            return Task.FromResult(InferenceResult<BatchResult>.Failure(refused));
        }

        if (runInline)
        {
            try
            {
                Execute([item]);
            }
            finally
            {
                Interlocked.Decrement(ref _busy);
                Signal();
            }

            return item.Completion.Task;
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

        Signal();
        return item.Completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        List<QueuedRequest> abandoned;
        lock (_lock)
        {
            _stopped = true;
            abandoned = [.. _levels.SelectMany(l => l), .. _delayed];
            foreach (var item in abandoned)
            {
                Detach(item);
            }
        }

        foreach (var item in abandoned)
        {
            Finish(item, InferenceError.Unavailable($"{_label} was unloaded before the request ran"));
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        Signal();
        try
        {
            await Task.WhenAll(_executors).ConfigureAwait(false);
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
            var wake = Volatile.Read(ref _wake);
            List<QueuedRequest>? batch;
            List<QueuedRequest>? late;
            long? waitUntil;
            lock (_lock)
            {
                // Every instance slot is taken (by executors or by requests run inline): wait for one.
                (batch, waitUntil, late) = _busy >= _settings.Instances ? (null, null, null) : Form(_time.GetTimestamp());
                if (batch is not null)
                {
                    foreach (var item in batch)
                    {
                        Detach(item);
                    }

                    Interlocked.Increment(ref _busy);
                }
            }

            foreach (var item in late ?? [])
            {
                Finish(item, new InferenceError(InferenceErrorKind.ResourceExhausted, $"{_label}: the request can no longer meet the latency target of {_settings.LatencyTarget!.Value.TotalMilliseconds:0.###} ms; rejected rather than served late"));
            }

            if (batch is not null)
            {
                try
                {
                    Execute(batch);
                }
                finally
                {
                    Interlocked.Decrement(ref _busy);
                }

                continue;
            }

            // Blocks this executor's own thread only; the timers and wake-ups complete elsewhere.
            WaitAsync(wake, waitUntil).GetAwaiter().GetResult();
        }
    }

    private async Task WaitAsync(TaskCompletionSource wake, long? until)
    {
        try
        {
            if (until is not long deadline)
            {
                await wake.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
                return;
            }

            var delay = Elapsed(_time.GetTimestamp(), deadline);
            if (delay <= TimeSpan.Zero)
            {
                return;
            }

            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var sleep = Task.Delay(delay, _time, cancel.Token);

            // The timer counts from when it is armed, not from when the clock was read: if the clock
            // passed the deadline in between (a test's fake clock can jump there), it would wait a
            // whole delay more, or forever on a clock that does not move again. Check once armed.
            if (_time.GetTimestamp() < deadline)
            {
                await Task.WhenAny(wake.Task, sleep).ConfigureAwait(false);
            }

            await cancel.CancelAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    // The queue in the order batches take from it: level 1 first, then lower levels, then requests
    // whose timeout passed under timeout_action DELAY.
    private IEnumerable<QueuedRequest> InOrder()
    {
        foreach (var level in _levels)
        {
            foreach (var item in level)
            {
                yield return item;
            }
        }

        foreach (var item in _delayed)
        {
            yield return item;
        }
    }

    // Under the lock. Returns the batch to run now, or when to look again; and requests that can
    // no longer meet the latency target.
    private (List<QueuedRequest>? Batch, long? WaitUntil, List<QueuedRequest>? Late) Form(long now)
    {
        List<QueuedRequest>? late = null;
        var target = _settings.LatencyTarget;
        QueuedRequest? first = null;
        foreach (var item in InOrder())
        {
            if (target is not null && item.Deadline is long deadline && now + Ticks(ExecutionTime.Predict(item.Rows)) > deadline)
            {
                (late ??= []).Add(item);
                continue;
            }

            first = item;
            break;
        }

        foreach (var item in late ?? [])
        {
            Detach(item);
        }

        if (first is null)
        {
            return (null, null, late);
        }

        if (_settings.MaxBatchSize == 0)
        {
            return ([first], null, late);
        }

        var batch = new List<QueuedRequest>();
        var rows = 0;
        var preferredCount = 0;
        var full = false;
        var started = false;
        foreach (var item in InOrder())
        {
            started |= ReferenceEquals(item, first);
            if (!started)
            {
                continue;
            }

            if (item.CompatibilityKey != first.CompatibilityKey
                || rows + item.Rows > _settings.MaxBatchSize
                || (target is not null && batch.Count > 0 && now + Ticks(ExecutionTime.Predict(rows + item.Rows)) > first.Deadline))
            {
                full = true;
                break;
            }

            batch.Add(item);
            rows += item.Rows;
            if (_settings.PreferredBatchSizes.Contains(rows))
            {
                preferredCount = batch.Count;
            }

            if (rows == _settings.MaxBatchSize)
            {
                full = true;
                break;
            }
        }

        if (full)
        {
            return (batch, null, late);
        }

        if (preferredCount > 0)
        {
            return (batch.GetRange(0, preferredCount), null, late);
        }

        var sendAt = first.EnqueuedAt + Ticks(_settings.MaxQueueDelay);
        if (target is not null)
        {
            sendAt = Math.Min(sendAt, first.Deadline!.Value - Ticks(ExecutionTime.Predict(rows)));
        }

        return now >= sendAt ? (batch, null, late) : (null, sendAt, late);
    }

    private void Execute(List<QueuedRequest> batch)
    {
        var rows = 0;
        foreach (var item in batch)
        {
            rows += item.Rows;
        }

        var start = _time.GetTimestamp();
        IReadOnlyList<Tensor>[] split;
        try
        {
            var outputs = _run(BatchAssembler.Concatenate(batch), batch[0].Request.OutputFileNames);
            split = BatchAssembler.Split(batch, outputs, rows);
        }
#pragma warning disable CA1031 // a backend failure fails this batch only; the version keeps serving
        catch (Exception ex)
#pragma warning restore CA1031
        {
            foreach (var item in batch)
            {
                Finish(item, InferenceError.Internal($"{_label} failed to run a batch of {rows}: {ex.Message}"));
            }

            return;
        }

        var end = _time.GetTimestamp();
        var compute = Elapsed(start, end);
        ExecutionTime.Record(rows, compute);
        _metrics.BatchExecuted(rows, compute);
        for (var i = 0; i < batch.Count; i++)
        {
            Finish(batch[i], InferenceResult<BatchResult>.Success(new BatchResult(split[i], Elapsed(batch[i].EnqueuedAt, start), compute, rows)));
        }
    }

    private static long InputBytes(ValidatedRequest request)
    {
        long bytes = 0;
        foreach (var input in request.Inputs)
        {
            bytes += input.DataType == DataType.Bytes ? input.Strings!.Sum(s => (long)s.Length + 4) : input.Data.Length;
        }

        return bytes;
    }

    private static InferenceError Canceled() => new(InferenceErrorKind.Canceled, "the client canceled the request");

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private TimeSpan Elapsed(long from, long to) => TimeSpan.FromSeconds((double)(to - from) / _time.TimestampFrequency);

    private void Signal() => Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    // How long a new request would wait and run: the rows queued ahead drain in full batches (and
    // one partial one) spread over the instances, then its own batch runs.
    private TimeSpan EstimatedWait(int rows)
    {
        var batch = Math.Max(1, _settings.MaxBatchSize);
        var full = _pendingRows / batch;
        var rest = (int)(_pendingRows % batch);
        var drain = (ExecutionTime.Predict(batch) * full) + (rest > 0 ? ExecutionTime.Predict(rest) : TimeSpan.Zero);
        return (drain / _settings.Instances) + ExecutionTime.Predict(rows);
    }

    // Under the lock: takes the request out of whichever list holds it.
    private void Detach(QueuedRequest item)
    {
        if (item.Node is { } node)
        {
            node.List!.Remove(node);
            item.Node = null;
            _pending--;
            _pendingRows -= item.Rows;
        }
    }

    // Outside the lock, exactly once per request: whoever detached it finishes it.
    private void Finish(QueuedRequest item, InferenceResult<BatchResult> result)
    {
        item.Timer?.Dispose();
        item.Cancellation.Dispose();
        _budget.Release(item.Bytes);
        item.Completion.TrySetResult(result);
    }

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
                item.Node.List!.Remove(item.Node);
                item.Delayed = true;
                item.Node = _delayed.AddLast(item);
                return;
            }

            Detach(item);
        }

        Finish(item, new InferenceError(InferenceErrorKind.Timeout, $"{_label}: the request waited its timeout of {timeout.TotalMilliseconds:0.###} ms in the queue without running"));
    }

    private void OnCanceled(QueuedRequest item)
    {
        lock (_lock)
        {
            if (item.Node is null)
            {
                return;
            }

            Detach(item);
        }

        Finish(item, Canceled());
    }
}
