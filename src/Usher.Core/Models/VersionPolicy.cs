namespace Usher.Core.Models;

/// <summary>Which versions found in the repository are loaded (Triton's <c>version_policy</c>).</summary>
internal abstract record VersionPolicy
{
    /// <summary>The default: the newest version only.</summary>
    public static VersionPolicy Default { get; } = new Latest(1);

    /// <summary>The versions of <paramref name="available"/> this policy loads, ascending.</summary>
    public abstract IReadOnlyList<long> Select(IEnumerable<long> available);

    /// <summary>The newest <paramref name="Count"/> versions.</summary>
    public sealed record Latest(int Count) : VersionPolicy
    {
        /// <inheritdoc />
        public override IReadOnlyList<long> Select(IEnumerable<long> available)
            => [.. available.Order().TakeLast(Count)];
    }

    /// <summary>Every version present.</summary>
    public sealed record All : VersionPolicy
    {
        /// <inheritdoc />
        public override IReadOnlyList<long> Select(IEnumerable<long> available) => [.. available.Order()];
    }

    /// <summary>The listed versions that are present.</summary>
    public sealed record Specific(IReadOnlyList<long> Versions) : VersionPolicy
    {
        /// <inheritdoc />
        public override IReadOnlyList<long> Select(IEnumerable<long> available)
            => [.. available.Where(v => Versions.Contains(v)).Order()];
    }
}
