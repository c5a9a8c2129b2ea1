namespace Usher.Core.Routing;

/// <summary>What a shadow did since mirroring started.</summary>
/// <param name="Mirrored">Copies the shadow answered.</param>
/// <param name="Dropped">Copies dropped because the queue was full.</param>
/// <param name="Failed">Copies the shadow failed.</param>
/// <param name="Queued">Copies waiting now.</param>
internal readonly record struct ShadowCounts(long Mirrored, long Dropped, long Failed, int Queued);
