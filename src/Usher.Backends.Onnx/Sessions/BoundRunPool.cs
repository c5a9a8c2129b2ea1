namespace Usher.Backends.Onnx.Sessions;

/// <summary>
/// A session's bound-run slots, one per concurrent caller, rented and returned without locks or
/// allocation. The server runs at most one batch per scheduler instance at a time, so the slots in
/// use follow the instances; callers beyond <see cref="MaxSlots"/> at once run unbound. Disabled
/// for good after a bound run fails (a model whose output shapes depend on the data), so such a
/// model pays for one failed attempt, not one per call.
/// </summary>
internal sealed class BoundRunPool : IDisposable
{
    private readonly BoundRunSlot?[] _slots;
    private int _created;
    private volatile bool _disabled;

    /// <summary>A pool of at most <paramref name="maxSlots"/> slots, made as concurrent callers need them.</summary>
    public BoundRunPool(int maxSlots)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSlots);
        _slots = new BoundRunSlot?[maxSlots];
        _disabled = maxSlots == 0;
    }

    /// <summary>The most slots the pool makes.</summary>
    public int MaxSlots => _slots.Length;

    /// <summary>False once a bound run failed, or the pool is disposed.</summary>
    public bool Enabled => !_disabled;

    /// <summary>A slot for the caller's exclusive use until <see cref="Return"/>, or null (disabled, or every slot in use).</summary>
    public BoundRunSlot? Rent()
    {
        if (_disabled)
        {
            return null;
        }

        for (var i = 0; i < _slots.Length; i++)
        {
            if (Volatile.Read(ref _slots[i]) is not null && Interlocked.Exchange(ref _slots[i], null) is { } slot)
            {
                return slot;
            }
        }

        // Every slot made so far is in use: make one more, up to the limit.
        return Interlocked.Increment(ref _created) <= _slots.Length ? new BoundRunSlot() : null;
    }

    /// <summary>Gives back a slot from <see cref="Rent"/>.</summary>
    public void Return(BoundRunSlot slot)
    {
        if (!_disabled)
        {
            // At most MaxSlots slots exist, so one place at least is free.
            for (var i = 0; i < _slots.Length; i++)
            {
                if (Interlocked.CompareExchange(ref _slots[i], slot, null) is null)
                {
                    // Disabled meanwhile: Disable may have swept before this slot was put back.
                    if (_disabled && Interlocked.Exchange(ref _slots[i], null) is { } late)
                    {
                        late.Dispose();
                    }

                    return;
                }
            }
        }

        slot.Dispose();
    }

    /// <summary>Stops binding: slots in the pool are disposed now, slots in use when they come back.</summary>
    public void Disable()
    {
        _disabled = true;
        for (var i = 0; i < _slots.Length; i++)
        {
            Interlocked.Exchange(ref _slots[i], null)?.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose() => Disable();
}
