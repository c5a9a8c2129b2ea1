namespace Usher.ControlPlane.Persistence;

/// <summary>
/// The faults operators inject (<c>usher fault</c>), in the state store: one row per variant, a set
/// replaces it. In the state file a fault survives a restart; in a shared PostgreSQL database every
/// replica applies it (a trigger notifies <c>usher_faults</c> on each write). Both
/// <see cref="IRolloutStore"/>s implement it on their own connections; what applies the faults
/// (<see cref="Faults.FaultKeeper"/>) needs only these three calls.
/// </summary>
internal interface IFaultStore
{
    /// <summary>Every stored fault, by variant.</summary>
    Task<IReadOnlyList<StoredFault>> FaultsAsync(CancellationToken cancellationToken);

    /// <summary>Stores the fault of <see cref="StoredFault.Variant"/>, replacing any stored before.</summary>
    Task SetFaultAsync(StoredFault fault, CancellationToken cancellationToken);

    /// <summary>Removes the fault of <paramref name="variant"/>; whether there was one.</summary>
    Task<bool> ClearFaultAsync(string variant, CancellationToken cancellationToken);
}
