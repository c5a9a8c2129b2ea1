using Usher.Core.Models;
using Usher.Core.Repository;
using Usher.Core.Telemetry;

namespace Usher.Core.Routing;

/// <summary>
/// An endpoint's immutable route table: the variants that share its traffic and the bucket range
/// each owns. Variants are laid out in order from bucket 0, so the first variant's range keeps its
/// start as its weight grows: a rollout lists the candidate first, and raising a canary from 5% to
/// 25% moves only keys in [0.05, 0.25) onto it; nobody moves back and forth during a ramp.
/// </summary>
internal sealed class RouteTable
{
    private readonly BucketRange[] _ranges;

    // Each variant's routed-requests total, by index, resolved once when the table is published
    // (CountedOn): looking one up by endpoint and variant name would hash both strings per request.
    private readonly RoutedTotal[]? _routed;

    // The variants' versions' signatures as last seen loaded (null: not seen yet), and the input fit
    // they give (null: every variant declares the same inputs, or one is not known): set by FittedTo.
    private readonly IReadOnlyList<ModelSignature?>? _signatures;

    /// <summary>Creates a table; weights are percentages that must add up to 100.</summary>
    public RouteTable(string endpoint, IReadOnlyList<RouteVariant> variants)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        ArgumentNullException.ThrowIfNull(variants);
        var problems = Problems(variants);
        if (problems.Count > 0)
        {
            throw new ArgumentException($"route table for '{endpoint}': {string.Join("; ", problems)}", nameof(variants));
        }

        Endpoint = endpoint;
        Variants = variants;
        _ranges = [.. BucketRange.Layout([.. variants.Select(v => v.Weight)])];
    }

    private RouteTable(RouteTable table, RoutedTotal[]? routed, IReadOnlyList<ModelSignature?>? signatures, InputFit? inputs)
    {
        Endpoint = table.Endpoint;
        Variants = table.Variants;
        _ranges = table._ranges;
        _routed = routed;
        _signatures = signatures;
        Inputs = inputs;
    }

    /// <summary>The endpoint's name.</summary>
    public string Endpoint { get; }

    /// <summary>The variants, in layout order.</summary>
    public IReadOnlyList<RouteVariant> Variants { get; }

    /// <summary>
    /// Feature-availability routing, when the variants declare different inputs (<see cref="InputFit"/>);
    /// null when they declare the same ones, or before every variant's version has loaded once.
    /// </summary>
    public InputFit? Inputs { get; }

    /// <summary>Each variant's bucket range, in the order of <see cref="Variants"/>.</summary>
    public IReadOnlyList<BucketRange> Ranges => _ranges;

    /// <summary>A table that sends all of the endpoint's traffic to one version.</summary>
    public static RouteTable Single(string endpoint, string model, long version) => new(endpoint, [new RouteVariant(model, version, 100)]);

    /// <summary>Every problem with <paramref name="variants"/> as a table (empty when it is valid).</summary>
    public static IReadOnlyList<string> Problems(IReadOnlyList<RouteVariant> variants)
    {
        ArgumentNullException.ThrowIfNull(variants);
        var problems = new List<string>();
        if (variants.Count == 0)
        {
            problems.Add("a route table needs at least one variant");
            return problems;
        }

        foreach (var v in variants.Where(v => double.IsNaN(v.Weight) || v.Weight < 0 || v.Weight > 100))
        {
            problems.Add($"variant {v.Name}: weight {v.Weight} is outside 0..100");
        }

        foreach (var dup in variants.GroupBy(v => v.Name).Where(g => g.Count() > 1))
        {
            problems.Add($"variant {dup.Key} is listed {dup.Count()} times");
        }

        var total = variants.Sum(v => v.Weight);
        if (Math.Abs(total - 100) > 1e-9)
        {
            problems.Add($"weights add up to {total}, expected 100");
        }

        return problems;
    }

    /// <summary>The variant that owns <paramref name="bucket"/> (in [0, 1)).</summary>
    public RouteVariant Pick(double bucket) => Variants[PickIndex(bucket)];

    /// <summary>The index in <see cref="Variants"/> of the variant that owns <paramref name="bucket"/> (in [0, 1)).</summary>
    public int PickIndex(double bucket)
    {
        for (var i = 0; i < _ranges.Length; i++)
        {
            if (_ranges[i].Contains(bucket))
            {
                return i;
            }
        }

        // Rounding can leave the very top of the space unowned: it belongs to the last variant with weight.
        for (var i = Variants.Count - 1; ; i--)
        {
            if (Variants[i].Weight > 0)
            {
                return i;
            }
        }
    }

    /// <summary>The variant named <paramref name="name"/> (<c>model:version</c>), or null.</summary>
    public RouteVariant? Find(string name) => IndexOf(name) is >= 0 and var i ? Variants[i] : null;

    /// <summary>The variant serving <paramref name="version"/> of the endpoint's model, or null.</summary>
    public RouteVariant? Find(long version) => IndexOf(version) is >= 0 and var i ? Variants[i] : null;

    /// <summary>The index in <see cref="Variants"/> of the variant named <paramref name="name"/> (<c>model:version</c>), or -1.</summary>
    public int IndexOf(string name)
    {
        for (var i = 0; i < Variants.Count; i++)
        {
            if (string.Equals(Variants[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The index in <see cref="Variants"/> of the variant serving <paramref name="version"/>, or -1.</summary>
    public int IndexOf(long version)
    {
        for (var i = 0; i < Variants.Count; i++)
        {
            if (Variants[i].Version == version)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// This table with each variant's routed-requests total on <paramref name="metrics"/> resolved
    /// (<see cref="RoutedTotal(int)"/>): what <see cref="EndpointRoutes"/> publishes, so that the
    /// router counts a routed request without looking its total up.
    /// </summary>
    internal RouteTable CountedOn(UsherMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return new RouteTable(this, [.. Variants.Select(v => metrics.RoutedTo(Endpoint, v.Name))], _signatures, Inputs);
    }

    /// <summary>
    /// This table with its <see cref="Inputs"/> built from its variants' loaded versions in
    /// <paramref name="models"/>; a variant whose version is not loaded now keeps the signature
    /// <paramref name="previous"/> (the endpoint's table before) last saw for it. This table itself
    /// when nothing changed.
    /// </summary>
    internal RouteTable FittedTo(ModelManager models, RouteTable? previous, UsherMetrics? metrics)
    {
        ArgumentNullException.ThrowIfNull(models);
        var signatures = new ModelSignature?[Variants.Count];
        for (var i = 0; i < signatures.Length; i++)
        {
            var v = Variants[i];
            signatures[i] = models.Find(v.Model)?.Find(v.Version)?.Loaded?.Signature
                ?? (previous?._signatures is { } seen && previous.IndexOf(v.Name) is >= 0 and var j ? seen[j] : null);
        }

        if (_signatures is not null && signatures.SequenceEqual(_signatures, ReferenceEqualityComparer.Instance))
        {
            return this;
        }

        return new RouteTable(this, _routed, signatures, InputFit.For(this, signatures, metrics));
    }

    /// <summary>The routed-requests total of the variant at <paramref name="index"/>; null on a table not counted (<see cref="CountedOn"/>).</summary>
    internal RoutedTotal? RoutedTotal(int index) => _routed?[index];
}
