using System.Collections.Concurrent;

namespace Usher.Core.Repository;

/// <summary>
/// One lock per model name, so that loads, unloads and removals of one model run one at a time while
/// other models load side by side. A lock is made for a name on first use and kept (the caller
/// checks the name is known first, so unknown names asked for make none).
/// </summary>
internal sealed class ModelLocks
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary>Locks made so far.</summary>
    public int Count => _locks.Count;

    /// <summary>Takes the model's lock; disposing the answer lets it go.</summary>
    public async Task<Held> EnterAsync(string name, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Held(gate);
    }

    /// <summary>A held lock.</summary>
    public readonly struct Held(SemaphoreSlim gate) : IDisposable
    {
        /// <summary>Lets the lock go.</summary>
        public void Dispose() => gate.Release();
    }
}
