using System.Globalization;

namespace Usher.Core.Models.Yaml;

/// <summary>Reads sizes written with units: <c>1GiB</c>, <c>512 MiB</c>, <c>10MB</c>, <c>4096</c> (bytes).</summary>
internal static class ByteSizes
{
    private static readonly (string Unit, long Factor)[] Units =
    [
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40),
        ("KB", 1000L), ("MB", 1000L * 1000), ("GB", 1000L * 1000 * 1000), ("TB", 1000L * 1000 * 1000 * 1000),
        ("B", 1L),
    ];

    /// <summary>What an error message says is expected.</summary>
    public const string Expected = "a size such as 1GiB, 512MiB, 10MB or a number of bytes";

    /// <summary>Parses <paramref name="text"/>; false when it is not a positive size that fits in 63 bits.</summary>
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var trimmed = text.Trim();
        long factor = 1;
        foreach (var (unit, f) in Units)
        {
            if (trimmed.EndsWith(unit, StringComparison.OrdinalIgnoreCase))
            {
                factor = f;
                trimmed = trimmed[..^unit.Length].TrimEnd();
                break;
            }
        }

        if (!decimal.TryParse(trimmed, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number <= 0)
        {
            return false;
        }

        try
        {
            var value = decimal.Round(number * factor);
            if (value < 1 || value > long.MaxValue)
            {
                return false;
            }

            bytes = (long)value;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary><paramref name="bytes"/> in the largest binary unit that keeps a number of at least 1: <c>1.5 GiB</c>, <c>300 MiB</c>.</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }
}
