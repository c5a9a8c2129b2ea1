namespace Usher.Cli.Batch;

/// <summary>
/// Arrays of one length (a chunk's rows), reused: the per-row arrays of a chunk of fraud (34,952 rows)
/// are large objects, which only a full collection frees, so made afresh per chunk they set how far
/// the heap swung between collections (docs/batch.md, "Memory"). Keeps at most <paramref name="keep"/>
/// free arrays; an array of another length (the last, partial chunk) is made and dropped as usual.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="length">The length of the arrays it keeps.</param>
/// <param name="keep">The most free arrays it keeps: as many as can be in use at once.</param>
internal sealed class RowArrayPool<T>(int length, int keep)
{
    private readonly Stack<T[]> _free = new(keep);
    private readonly Lock _lock = new();

    /// <summary>An array of <paramref name="count"/> elements: a kept one when it has the pool's length (not cleared), else a new one.</summary>
    public T[] Rent(int count)
    {
        if (count == length)
        {
            lock (_lock)
            {
                if (_free.TryPop(out var array))
                {
                    return array;
                }
            }
        }

        return new T[count];
    }

    /// <summary>Keeps <paramref name="array"/> for a later <see cref="Rent"/> when it has the pool's length and there is room; references are cleared first.</summary>
    public void Return(T[] array)
    {
        if (array.Length != length || length == 0)
        {
            return;
        }

        if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            Array.Clear(array);
        }

        lock (_lock)
        {
            if (_free.Count < keep)
            {
                _free.Push(array);
            }
        }
    }
}
