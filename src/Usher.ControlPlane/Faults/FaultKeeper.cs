using Usher.ControlPlane.Persistence;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Faults;

/// <summary>
/// Keeps this process's <see cref="FaultInjector"/> to the faults in the state store
/// (<see cref="IFaultStore"/>). A set or a clear writes the store first and then the injector, so a
/// store that fails changes neither; a reload replaces the injector's whole set with the stored one
/// in one swap, so a fault cleared elsewhere goes too. The server reloads at start (a fault survives a
/// restart) and, on a shared database, whenever another replica wrote the faults. Sets, clears and
/// reloads take turns: a reload that read the store before a set cannot swap it away after.
/// </summary>
internal sealed class FaultKeeper(IFaultStore store, FaultInjector injector, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>Replaces the injector's faults with the stored ones; returns them.</summary>
    public async Task<IReadOnlyList<StoredFault>> ReloadAsync(CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stored = await store.FaultsAsync(cancellationToken).ConfigureAwait(false);
            injector.Replace(stored.Select(f => KeyValuePair.Create(f.Variant, f.Fault)));
            return stored;
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Stores the fault of <paramref name="variant"/> (replacing any) as set by <paramref name="actor"/>, then injects it.</summary>
    public async Task SetAsync(string variant, FaultSpec fault, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fault);
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await store.SetFaultAsync(new StoredFault(variant, fault, time.GetUtcNow(), actor), cancellationToken).ConfigureAwait(false);
            injector.Set(variant, fault);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Removes the fault of <paramref name="variant"/> from the store, then from the injector; whether either had one.</summary>
    public async Task<bool> ClearAsync(string variant, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stored = await store.ClearFaultAsync(variant, cancellationToken).ConfigureAwait(false);
            return injector.Clear(variant) || stored;
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _turn.Dispose();
}
