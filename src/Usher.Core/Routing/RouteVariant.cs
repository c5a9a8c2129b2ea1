using System.Globalization;

namespace Usher.Core.Routing;

/// <summary>One destination of an endpoint's traffic: a model version and its share.</summary>
/// <param name="Model">The model that serves it.</param>
/// <param name="Version">The model version.</param>
/// <param name="Weight">Its share of the endpoint's traffic, in percent (0 to 100).</param>
internal sealed record RouteVariant(string Model, long Version, double Weight)
{
    // Formatted once: the router names the variant on every request it routes.
    private string? _name;

    /// <summary>The model that serves it.</summary>
    public string Model { get; init { field = value; _name = null; } } = Model;

    /// <summary>The model version.</summary>
    public long Version { get; init { field = value; _name = null; } } = Version;

    /// <summary>The variant's name, <c>model:version</c>, as the <c>x-usher-variant</c> header carries it.</summary>
    public string Name => _name ??= Format(Model, Version);

    /// <summary>Formats a variant name.</summary>
    public static string Format(string model, long version) => model + ":" + version.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public bool Equals(RouteVariant? other)
        => other is not null && string.Equals(Model, other.Model, StringComparison.Ordinal) && Version == other.Version && Weight.Equals(other.Weight);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Model, Version, Weight);
}
