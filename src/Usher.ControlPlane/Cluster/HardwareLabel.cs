namespace Usher.ControlPlane.Cluster;

/// <summary>
/// The replica label that says what hardware a replica offers (<c>--label hw=gpu</c>), and the one rule
/// that matches it, without case, against what a request asks for (<c>x-usher-hardware</c>) or a model
/// requires (<c>hardware:</c> in its <c>config.yaml</c>).
/// </summary>
internal static class HardwareLabel
{
    /// <summary>The label's key.</summary>
    public const string Key = "hw";

    /// <summary>The replica's <c>hw</c> label, or null when it has none.</summary>
    public static string? Of(IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return labels.TryGetValue(Key, out var value) ? value : null;
    }

    /// <summary>Whether <paramref name="labels"/> have <c>hw</c> equal to <paramref name="hardware"/>, ignoring case.</summary>
    public static bool Matches(IReadOnlyDictionary<string, string> labels, string hardware) =>
        string.Equals(Of(labels), hardware, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a replica with <paramref name="labels"/> meets <paramref name="requirement"/> (null: any hardware does).</summary>
    public static bool Satisfies(IReadOnlyDictionary<string, string> labels, string? requirement) =>
        requirement is null || Matches(labels, requirement);
}
