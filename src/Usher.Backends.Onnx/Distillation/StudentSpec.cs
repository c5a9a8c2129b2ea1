using System.Globalization;

namespace Usher.Backends.Onnx.Distillation;

/// <summary>
/// The shape of a student network, written <c>mlp:H1,H2,...</c>: fully connected hidden layers of
/// those widths, each followed by a ReLU, then a layer to the teacher's classes.
/// </summary>
/// <param name="Hidden">The hidden layers' widths, input side first.</param>
internal sealed record StudentSpec(IReadOnlyList<int> Hidden)
{
    /// <summary>The most hidden layers a spec may name.</summary>
    public const int MaxLayers = 8;

    /// <summary>The widest hidden layer a spec may name.</summary>
    public const int MaxWidth = 4096;

    private const string Expected = "expected mlp:H1,H2,... with 1 to 8 hidden layer widths from 1 to 4096 (e.g. mlp:64,32)";

    /// <summary>Parses <paramref name="text"/>; null with what was expected and what was found.</summary>
    public static StudentSpec? Parse(string? text, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(text) || !text.StartsWith("mlp:", StringComparison.Ordinal))
        {
            problem = $"--student '{text}': {Expected}";
            return null;
        }

        var parts = text["mlp:".Length..].Split(',');
        if (parts.Length > MaxLayers)
        {
            problem = $"--student '{text}': {parts.Length} hidden layers; {Expected}";
            return null;
        }

        var widths = new List<int>(parts.Length);
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var width) || width < 1 || width > MaxWidth)
            {
                problem = $"--student '{text}': '{part}' is not a width; {Expected}";
                return null;
            }

            widths.Add(width);
        }

        return new StudentSpec(widths);
    }

    /// <summary>The layer sizes from <paramref name="inputs"/> to <paramref name="classes"/>.</summary>
    public int[] Sizes(int inputs, int classes) => [inputs, .. Hidden, classes];

    /// <inheritdoc />
    public override string ToString() => "mlp:" + string.Join(',', Hidden.Select(h => h.ToString(CultureInfo.InvariantCulture)));
}
