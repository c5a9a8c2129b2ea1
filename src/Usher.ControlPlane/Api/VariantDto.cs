namespace Usher.ControlPlane.Api;

/// <summary>A variant of a route table: <c>{"model": "fraud", "version": 2, "weight": 25}</c>.</summary>
/// <param name="Model">The model.</param>
/// <param name="Version">The version.</param>
/// <param name="Weight">Its share of traffic, in percent.</param>
public sealed record VariantDto(string? Model, long Version, double Weight);
