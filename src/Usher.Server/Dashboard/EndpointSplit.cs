namespace Usher.Server.Dashboard;

/// <summary>How an endpoint's routed traffic split between its variants over the split window.</summary>
/// <param name="Endpoint">The endpoint.</param>
/// <param name="WindowSeconds">The window's length.</param>
/// <param name="Variants">Each variant that received traffic.</param>
internal sealed record EndpointSplit(string Endpoint, double WindowSeconds, IReadOnlyList<VariantShare> Variants);
