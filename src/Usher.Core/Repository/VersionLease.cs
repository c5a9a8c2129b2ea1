using Usher.Core.Inference;

namespace Usher.Core.Repository;

/// <summary>A request's lease on the version in one slot, as <see cref="ModelManager.Acquire(string, long?)"/> takes it.</summary>
internal static class VersionLease
{
    /// <summary>
    /// Takes a lease on <paramref name="slot"/>'s loaded version; an error when it is not ready, or
    /// registered under the memory budget and not loaded (then <paramref name="parked"/> is the slot:
    /// its load on demand serves the request); null when the version was retired between the caller's
    /// snapshot and the lease (the caller looks again: its replacement is published already).
    /// </summary>
    public static InferenceResult<ModelVersion>? Take(string name, VersionSlot slot, out VersionSlot? parked)
    {
        ArgumentNullException.ThrowIfNull(slot);
        parked = null;
        if (slot.OnDemand)
        {
            parked = slot;
            return InferenceError.Unavailable($"model '{name}' version {slot.Version} is not loaded: under the memory budget it loads on its first request");
        }

        if (slot.State != ModelState.Ready || slot.Loaded is null)
        {
            return InferenceError.Unavailable($"model '{name}' version {slot.Version} is not ready ({slot.State.ToString().ToUpperInvariant()}): {slot.Reason ?? "loading"}");
        }

        if (slot.Loaded.TryAcquire())
        {
            return InferenceResult<ModelVersion>.Success(slot.Loaded);
        }

        return null;
    }
}
