using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Core.Caching;

/// <summary>
/// The prediction cache of one model version: outputs by <see cref="CacheKey"/>, bounded by
/// <see cref="CacheConfig.MaxBytes"/> (sizes as <see cref="CacheEntrySize"/> counts them) with
/// least-recently-used eviction, entries expiring after <see cref="CacheConfig.TtlSeconds"/>, and
/// one compute per key at a time. Thread-safe. Whether a version has a cache at all
/// (<see cref="CacheConfig.Enabled"/>) is the caller's decision.
/// </summary>
internal sealed class PredictionCache
{
    private readonly Lock _lock = new();
    private readonly Dictionary<CacheKey, LinkedListNode<CacheEntry>> _entries = [];

    // Most recently used first.
    private readonly LinkedList<CacheEntry> _recency = new();
    private readonly Dictionary<CacheKey, Task<InferenceResult<IReadOnlyList<Tensor>>>> _inFlight = [];
    private readonly TimeProvider _time;
    private readonly long _maxBytes;
    private readonly long _ttlTicks;
    private readonly IReadOnlySet<string>? _keyInputs;
    private readonly int? _roundDecimals;
    private long _bytes;
    private long _generation;

    /// <summary>Creates a cache bounded by <see cref="CacheConfig.MaxBytes"/>.</summary>
    public PredictionCache(CacheConfig config, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _maxBytes = config.MaxBytes;
        _ttlTicks = config.TtlSeconds is { } ttl
            ? (long)Math.Min(ttl * time.TimestampFrequency, long.MaxValue / 2)
            : long.MaxValue;
        _keyInputs = config.KeyInputs.Count == 0 ? null : new HashSet<string>(config.KeyInputs, StringComparer.Ordinal);
        _roundDecimals = config.RoundDecimals;
    }

    /// <summary>Bytes held, as <see cref="CacheEntrySize"/> counts them.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Entries held, expired ones not yet removed included.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// The key of a validated request of version <paramref name="version"/> of <paramref name="model"/>:
    /// the model, the version, the inputs of <see cref="CacheConfig.KeyInputs"/> (file names; all
    /// inputs when empty, or when one of them names no input) with names, datatypes, shapes and data
    /// (floating-point data rounded to <see cref="CacheConfig.RoundDecimals"/>), the requested outputs
    /// in order, and every request and output parameter that can change the outputs (all but
    /// <c>priority</c>, <c>timeout</c>, <c>binary_data_output</c>, <c>binary_data</c>,
    /// <c>binary_data_size</c>, <c>headers</c> and <c>id</c>).
    /// </summary>
    public CacheKey CreateKey(string model, long version, ValidatedRequest request)
        => CacheKey.FromBytes(CacheKeyEncoder.Encode(model, version, request, _keyInputs, _roundDecimals));

    /// <summary>The cached outputs of <paramref name="key"/>, if any and fresh.</summary>
    public bool TryGet(CacheKey key, out IReadOnlyList<Tensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_lock)
        {
            if (TryGetFresh(key) is { } entry)
            {
                outputs = entry.Outputs;
                return true;
            }
        }

        outputs = [];
        return false;
    }

    /// <summary>
    /// The cached outputs, or runs <paramref name="compute"/> once for all concurrent callers with the
    /// same key (single flight) and caches a success.
    /// </summary>
    /// <remarks>
    /// Concurrent callers share the first caller's compute, its failure included; a failure (an
    /// error result or an exception) is not cached, and the next call computes again.
    /// </remarks>
    public Task<InferenceResult<IReadOnlyList<Tensor>>> GetOrComputeAsync(CacheKey key, Func<Task<InferenceResult<IReadOnlyList<Tensor>>>> compute)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(compute);
        TaskCompletionSource<InferenceResult<IReadOnlyList<Tensor>>> flight;
        long generation;
        lock (_lock)
        {
            if (TryGetFresh(key) is { } entry)
            {
                return entry.Completed;
            }

            if (_inFlight.TryGetValue(key, out var running))
            {
                return running;
            }

            flight = new(TaskCreationOptions.RunContinuationsAsynchronously);
            _inFlight.Add(key, flight.Task);
            generation = _generation;
        }

        return ComputeAsync(key, compute, flight, generation);
    }

    /// <summary>Removes every entry. Computes already running finish but do not fill the cache.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            _recency.Clear();
            _bytes = 0;
            _generation++;
        }
    }

    private async Task<InferenceResult<IReadOnlyList<Tensor>>> ComputeAsync(
        CacheKey key,
        Func<Task<InferenceResult<IReadOnlyList<Tensor>>>> compute,
        TaskCompletionSource<InferenceResult<IReadOnlyList<Tensor>>> flight,
        long generation)
    {
        InferenceResult<IReadOnlyList<Tensor>> result;
        try
        {
            result = await compute().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Land(key, null, generation);
            if (e is OperationCanceledException canceled)
            {
                flight.SetCanceled(canceled.CancellationToken);
            }
            else
            {
                flight.SetException(e);

                // Rethrown to this caller below; waiters, if any, see it through the task.
                _ = flight.Task.Exception;
            }

            throw;
        }

        Land(key, result.IsSuccess ? result.Value : null, generation);
        flight.SetResult(result);
        return result;
    }

    // Ends the flight and stores a success in one step, so a caller arriving now finds one or the other.
    private void Land(CacheKey key, IReadOnlyList<Tensor>? outputs, long generation)
    {
        var size = outputs is null ? 0 : CacheEntrySize.Of(key, outputs);
        var expiresAt = _ttlTicks == long.MaxValue ? long.MaxValue : _time.GetTimestamp() + _ttlTicks;
        lock (_lock)
        {
            _inFlight.Remove(key);
            if (outputs is null || size > _maxBytes || generation != _generation)
            {
                return;
            }

            if (_entries.Remove(key, out var old))
            {
                Unlink(old);
            }

            var node = _recency.AddFirst(new CacheEntry(key, outputs, size, expiresAt));
            _entries.Add(key, node);
            _bytes += size;
            while (_bytes > _maxBytes && _recency.Last is { } last)
            {
                _entries.Remove(last.Value.Key);
                Unlink(last);
            }
        }
    }

    // Under _lock: the entry if present and fresh, marked most recently used; a stale one is removed.
    private CacheEntry? TryGetFresh(CacheKey key)
    {
        if (!_entries.TryGetValue(key, out var node))
        {
            return null;
        }

        if (node.Value.ExpiresAt != long.MaxValue && _time.GetTimestamp() >= node.Value.ExpiresAt)
        {
            _entries.Remove(key);
            Unlink(node);
            return null;
        }

        if (node != _recency.First)
        {
            _recency.Remove(node);
            _recency.AddFirst(node);
        }

        return node.Value;
    }

    private void Unlink(LinkedListNode<CacheEntry> node)
    {
        _recency.Remove(node);
        _bytes -= node.Value.Size;
    }
}
