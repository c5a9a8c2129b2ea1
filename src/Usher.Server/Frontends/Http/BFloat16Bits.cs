namespace Usher.Server.Frontends.Http;

/// <summary>
/// Conversions between <see cref="float"/> and the bit pattern of a bfloat16 (the upper half of a
/// float), which .NET has no type for.
/// </summary>
internal static class BFloat16Bits
{
    /// <summary>The bfloat16 nearest to <paramref name="value"/>, ties to even; NaN stays a quiet NaN.</summary>
    public static ushort FromSingle(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            // Truncating could clear every payload bit and turn the NaN into an infinity.
            return (ushort)((bits >> 16) | 0x0040);
        }

        // Adding 0x7FFF rounds up above the halfway point; the kept low bit breaks the tie to even.
        // A carry out of the mantissa bumps the exponent, which is the right answer, infinity included.
        var roundingBias = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + roundingBias) >> 16);
    }

    /// <summary>The exact float value of a bfloat16.</summary>
    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);
}
