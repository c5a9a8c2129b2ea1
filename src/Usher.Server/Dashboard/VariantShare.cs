namespace Usher.Server.Dashboard;

/// <summary>The traffic a variant of an endpoint received over the split window.</summary>
/// <param name="Variant">The variant (<c>model:version</c>).</param>
/// <param name="RequestsPerSecond">Routed requests per second.</param>
/// <param name="Share">Its fraction of the endpoint's routed requests; null when the endpoint had none.</param>
internal sealed record VariantShare(string Variant, double RequestsPerSecond, double? Share);
