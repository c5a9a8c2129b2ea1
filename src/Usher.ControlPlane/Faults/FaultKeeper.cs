using Usher.ControlPlane.Persistence;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Faults;

/// <summary>
/// Keeps this process's <see cref="FaultInjector"/> to the faults in the state store
/// (<see cref="IFaultStore"/>). A set or a clear writes the store first and then re-reads it into the
/// injector, so a store that fails changes neither; a reload replaces the injector's whole set with
/// the stored one in one swap, so a fault cleared elsewhere goes too. The injector gets every
/// replica's faults and this replica's own (<see cref="Replica"/>), its own winning on a variant that
/// has both (<see cref="StoredFault.AppliedBy"/>). The server reloads at start (a fault survives a
/// restart) and, on a shared database, whenever another replica wrote the faults. Sets, clears and
/// reloads take turns: a reload that read the store before a set cannot swap it away after.
/// </summary>
internal sealed class FaultKeeper(IFaultStore store, FaultInjector injector, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private volatile string _replica = StoredFault.EveryReplica;
    private volatile IReadOnlyList<StoredFault> _stored = [];

    /// <summary>
    /// The id of this replica in the registry, whose own faults it applies besides every replica's;
    /// <see cref="StoredFault.EveryReplica"/> (the default) on one machine. Set once the replica has
    /// its id, before it registers; the next reload applies its own faults.
    /// </summary>
    public string Replica
    {
        get => _replica;
        set => _replica = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Every stored fault as of the last read (any scope, applied here or not), for the admin listing.</summary>
    public IReadOnlyList<StoredFault> Stored => _stored;

    /// <summary>Replaces the injector's faults with the stored ones this replica applies; returns those (the faults in force here).</summary>
    public async Task<IReadOnlyList<StoredFault>> ReloadAsync(CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ApplyStoredAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>
    /// Stores the fault of <paramref name="variant"/> for <paramref name="replica"/> (replacing any) as
    /// set by <paramref name="actor"/>, then applies the stored faults.
    /// </summary>
    public async Task SetAsync(string variant, FaultSpec fault, string actor, string replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fault);
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await store.SetFaultAsync(new StoredFault(variant, fault, time.GetUtcNow(), actor, replica), cancellationToken).ConfigureAwait(false);
            await ApplyStoredAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>
    /// Removes the fault of <paramref name="variant"/> for <paramref name="replica"/>
    /// (<see cref="StoredFault.EveryReplica"/>: every replica's, and a replica's own stays) from the store, then applies the stored faults; whether the
    /// store had one.
    /// </summary>
    public async Task<bool> ClearAsync(string variant, string replica, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var cleared = await store.ClearFaultAsync(variant, replica, cancellationToken).ConfigureAwait(false);
            await ApplyStoredAsync(cancellationToken).ConfigureAwait(false);
            return cleared;
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _turn.Dispose();

    // Under the turn.
    private async Task<IReadOnlyList<StoredFault>> ApplyStoredAsync(CancellationToken cancellationToken)
    {
        var stored = await store.FaultsAsync(cancellationToken).ConfigureAwait(false);
        var applied = StoredFault.AppliedBy(stored, _replica);
        injector.Replace(applied.Select(f => KeyValuePair.Create(f.Variant, f.Fault)));
        _stored = stored;
        return applied;
    }
}
