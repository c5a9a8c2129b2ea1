using System.Text.Json;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Persistence;

/// <summary>How every store keeps a route table's variants: a JSON array of <c>{model, version, weight}</c>.</summary>
internal static class RouteTableJson
{
    /// <summary>The variants of <paramref name="table"/> as stored.</summary>
    public static string Write(RouteTable table)
        => JsonSerializer.Serialize(table.Variants.Select(v => new StoredVariant(v.Model, v.Version, v.Weight)).ToList(), StoreJson.Options);

    /// <summary>The table of <paramref name="endpoint"/> with the stored <paramref name="variants"/>.</summary>
    public static RouteTable Read(string endpoint, string variants)
        => new(endpoint, [.. JsonSerializer.Deserialize<List<StoredVariant>>(variants, StoreJson.Options)!.Select(v => new RouteVariant(v.Model, v.Version, v.Weight))]);

    private sealed record StoredVariant(string Model, long Version, double Weight);
}
