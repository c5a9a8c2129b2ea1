using System.Text.Json;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Floating-point values in JSON, which has no NaN or infinities: like Triton and NumPy's clients,
/// they travel as the strings <c>"NaN"</c>, <c>"Infinity"</c> and <c>"-Infinity"</c>.
/// </summary>
internal static class JsonNumbers
{
    /// <summary>Writes a float as a number, or as one of the strings when it is not finite.</summary>
    public static void WriteSingle(Utf8JsonWriter writer, float value)
    {
        if (float.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            WriteNonFinite(writer, float.IsNaN(value), value > 0);
        }
    }

    /// <summary>Writes a double as a number, or as one of the strings when it is not finite.</summary>
    public static void WriteDouble(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            WriteNonFinite(writer, double.IsNaN(value), value > 0);
        }
    }

    /// <summary>Reads one of the strings at <paramref name="reader"/> (a string token); false for any other string.</summary>
    public static bool TryReadNonFinite(ref Utf8JsonReader reader, out double value)
    {
        // Escapes that spell a lone surrogate equal none of them (found by BadInputProperties).
        if (JsonSlice.ValueEquals(ref reader, "NaN"u8))
        {
            value = double.NaN;
        }
        else if (JsonSlice.ValueEquals(ref reader, "Infinity"u8))
        {
            value = double.PositiveInfinity;
        }
        else if (JsonSlice.ValueEquals(ref reader, "-Infinity"u8))
        {
            value = double.NegativeInfinity;
        }
        else
        {
            value = 0;
            return false;
        }

        return true;
    }

    /// <summary>
    /// Reads one of the strings, unescaped, at <paramref name="position"/> in <paramref name="json"/> and
    /// moves past it; a finite value (0) when none is there. An escaped spelling is the token reader's to judge.
    /// </summary>
    public static double ReadNonFinite(ReadOnlySpan<byte> json, ref int position)
    {
        var rest = json[position..];
        if (rest.StartsWith("\"NaN\""u8))
        {
            position += 5;
            return double.NaN;
        }

        if (rest.StartsWith("\"Infinity\""u8))
        {
            position += 10;
            return double.PositiveInfinity;
        }

        if (rest.StartsWith("\"-Infinity\""u8))
        {
            position += 11;
            return double.NegativeInfinity;
        }

        return 0;
    }

    private static void WriteNonFinite(Utf8JsonWriter writer, bool isNaN, bool isPositive)
        => writer.WriteStringValue(isNaN ? "NaN"u8 : isPositive ? "Infinity"u8 : "-Infinity"u8);
}
