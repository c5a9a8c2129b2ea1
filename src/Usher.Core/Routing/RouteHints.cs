namespace Usher.Core.Routing;

/// <summary>What a frontend read from the request that steers routing.</summary>
/// <param name="RoutingKey">The sticky routing key (header <c>x-usher-routing-key</c> or the configured request parameter); null picks a random key.</param>
/// <param name="PinnedVariant">A variant pinned for testing (header <c>x-usher-variant</c>, e.g. <c>fraud:2</c>); null routes normally.</param>
internal readonly record struct RouteHints(string? RoutingKey = null, string? PinnedVariant = null)
{
    /// <summary>The request header that carries the routing key.</summary>
    public const string RoutingKeyHeader = "x-usher-routing-key";

    /// <summary>The request header that pins a variant, and the response header that names the variant that answered.</summary>
    public const string VariantHeader = "x-usher-variant";
}
