namespace Usher.Core.Scheduling;

/// <summary>
/// A batcher's waiting requests: one list per priority level and the requests whose timeout passed
/// under <c>timeout_action: DELAY</c>, and the batch formation over them (Triton's algorithm). Not
/// thread-safe: every member runs under the owning batcher's lock.
/// </summary>
internal sealed class BatchQueue
{
    private readonly BatcherSettings _settings;
    private readonly ExecutionTimeModel _executionTime;
    private readonly double _frequency;
    private readonly LinkedList<QueuedRequest>[] _levels;
    private readonly LinkedList<QueuedRequest> _delayed = new();
    private long _pendingRows;
    private long _holdGuard;

    public BatchQueue(BatcherSettings settings, ExecutionTimeModel executionTime, long timestampFrequency)
    {
        _settings = settings;
        _executionTime = executionTime;
        _frequency = timestampFrequency;
        _levels = new LinkedList<QueuedRequest>[settings.Levels];
        for (var i = 0; i < _levels.Length; i++)
        {
            _levels[i] = new LinkedList<QueuedRequest>();
        }
    }

    /// <summary>Requests waiting.</summary>
    public int Pending { get; private set; }

    /// <summary>Rows waiting.</summary>
    public long PendingRows => _pendingRows;

    /// <summary>
    /// The adaptive mode's hold (<see cref="DynamicBatcher"/> holds a lone request whose company is
    /// expected): while it is on, no batch is formed unless it is full or the hold's guard has
    /// passed. The batcher ends it (<see cref="EndHold"/>) at the first arrival at or after this
    /// timestamp, its bound; it also ends when a batch is taken and when the queue empties.
    /// </summary>
    public long? HoldUntil { get; private set; }

    /// <summary>
    /// Holds the queue: an arrival at or after <paramref name="until"/> ends the hold, and without
    /// one an idle executor waits until <paramref name="guard"/> (not before <paramref name="until"/>).
    /// </summary>
    public void Hold(long until, long guard)
    {
        HoldUntil = until;
        _holdGuard = Math.Max(until, guard);
    }

    public void EndHold() => HoldUntil = null;

    /// <summary>Requests waiting at <paramref name="level"/> (1 = highest).</summary>
    public int CountAt(int level) => _levels[level - 1].Count;

    public void Add(QueuedRequest item)
    {
        item.Node = _levels[item.Level - 1].AddLast(item);
        Pending++;
        _pendingRows += item.Rows;
    }

    /// <summary>Takes the request out of whichever list holds it; false when it was not queued.</summary>
    public bool Detach(QueuedRequest item)
    {
        if (item.Node is not { } node)
        {
            return false;
        }

        node.List!.Remove(node);
        item.Node = null;
        Pending--;
        _pendingRows -= item.Rows;
        if (Pending == 0)
        {
            HoldUntil = null;
        }

        return true;
    }

    /// <summary>Moves a request whose timeout passed to the end of everything (timeout_action DELAY).</summary>
    public void Delay(QueuedRequest item)
    {
        item.Node!.List!.Remove(item.Node);
        item.Delayed = true;
        item.Node = _delayed.AddLast(item);
    }

    /// <summary>Empties the queue, returning what it held.</summary>
    public List<QueuedRequest> TakeAll()
    {
        List<QueuedRequest> all = [.. InOrder()];
        foreach (var item in all)
        {
            Detach(item);
        }

        return all;
    }

    /// <summary>
    /// The batch to run now, or when to look again; and requests that can no longer meet the
    /// latency target (already detached).
    /// </summary>
    public (List<QueuedRequest>? Batch, long? WaitUntil, List<QueuedRequest>? Late) Form(long now)
    {
        List<QueuedRequest>? late = null;
        var target = _settings.LatencyTarget;
        QueuedRequest? first = null;
        foreach (var item in InOrder())
        {
            if (target is not null && item.Deadline is long deadline && now + Ticks(_executionTime.Predict(item.Rows)) > deadline)
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

            if (!QueuedRequest.CanBatchTogether(item.Request, first.Request)
                || rows + item.Rows > _settings.MaxBatchSize
                || (target is not null && batch.Count > 0 && now + Ticks(_executionTime.Predict(rows + item.Rows)) > first.Deadline))
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

        // The adaptive mode waits only while a hold is on: otherwise what is queued when an
        // instance is free is the batch.
        if (full || _settings.Mode == BatchingMode.Adaptive)
        {
            return !full && HoldUntil is not null && now < _holdGuard ? (null, _holdGuard, late) : (batch, null, late);
        }

        if (preferredCount > 0)
        {
            return (batch.GetRange(0, preferredCount), null, late);
        }

        var sendAt = first.EnqueuedAt + Ticks(_settings.MaxQueueDelay);
        if (target is not null)
        {
            // The last moment the batch can still finish in time, less the executor's wake-up
            // resolution: a wait aimed at that moment itself ends up to a millisecond after it, and
            // the look then finds the oldest request late and turns it away.
            sendAt = Math.Min(sendAt, first.Deadline!.Value - Ticks(_executionTime.Predict(rows)) - Ticks(ExecutorWakeup.Resolution));
        }

        return now >= sendAt ? (batch, null, late) : (null, sendAt, late);
    }

    /// <summary>
    /// How long a new request would wait and run: the rows queued ahead drain in full batches (and
    /// one partial one) spread over the instances, then its own batch runs.
    /// </summary>
    public TimeSpan EstimatedWait(int rows, int instances)
    {
        var batch = Math.Max(1, _settings.MaxBatchSize);
        var full = _pendingRows / batch;
        var rest = (int)(_pendingRows % batch);
        var drain = (_executionTime.Predict(batch) * full) + (rest > 0 ? _executionTime.Predict(rest) : TimeSpan.Zero);
        return (drain / instances) + _executionTime.Predict(rows);
    }

    public long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _frequency);

    // The order batches take from: level 1 first, then lower levels, then the delayed requests.
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
}
