namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// A window's samples of one kind, appended up to a cap and never changed once written, so that a
/// read takes the values so far as a view (<see cref="Snapshot"/>) instead of copying them: later
/// appends go past the view's end, or into a new, larger array when this one is full, and the array
/// a view holds is never written below its count again. The owner serializes <see cref="Add"/> and
/// <see cref="Snapshot"/> (the recorder holds its variant's lock for both), which also publishes the
/// values a view covers to the thread that reads them.
/// </summary>
/// <typeparam name="T">The sample's type.</typeparam>
/// <param name="capacity">The most samples kept; later ones are not kept.</param>
internal sealed class AppendOnlySamples<T>(int capacity)
{
    private const int InitialSize = 256;
    private T[] _items = [];

    /// <summary>How many samples are kept.</summary>
    public int Count { get; private set; }

    /// <summary>Whether the cap is reached (later samples are not kept).</summary>
    public bool IsFull => Count >= capacity;

    /// <summary>Keeps <paramref name="value"/> unless the cap is reached.</summary>
    public void Add(T value)
    {
        if (IsFull)
        {
            return;
        }

        if (Count == _items.Length)
        {
            // Growing copies into a new array; views of the old one stay valid (nothing writes it again).
            var grown = new T[Math.Min(capacity, Math.Max(InitialSize, _items.Length * 2))];
            Array.Copy(_items, grown, Count);
            _items = grown;
        }

        _items[Count++] = value;
    }

    /// <summary>The samples kept so far, without copying them; they do not change afterwards.</summary>
    public IReadOnlyList<T> Snapshot() => Count == 0 ? [] : new ArraySegment<T>(_items, 0, Count);
}
