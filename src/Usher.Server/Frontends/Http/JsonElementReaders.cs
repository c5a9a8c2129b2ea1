using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// One <see cref="IJsonElementReader"/> per fixed-size datatype. Integers are parsed from the JSON
/// token as that integer type, so 2^64-1 and -2^63 arrive exact and 1.5 or 1e3 are rejected.
/// Floating-point types also take the strings "NaN", "Infinity" and "-Infinity"; a finite number
/// too large for the type is out of range rather than infinity.
/// </summary>
internal static class JsonElementReaders
{
    private const string Integer = "an integer";
    private const string Boolean = "true or false";
    private const string Number = "a number or \"NaN\", \"Infinity\", \"-Infinity\"";

    internal readonly struct Bool : IJsonElementReader
    {
        public static int Size => 1;

        public static string Expected => Boolean;

        public static JsonElementStatus Read(ref Utf8JsonReader reader, Span<byte> destination)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.True:
                    destination[0] = 1;
                    return JsonElementStatus.Ok;
                case JsonTokenType.False:
                    destination[0] = 0;
                    return JsonElementStatus.Ok;
                default:
                    return JsonElementStatus.WrongKind;
            }
        }
    }

    internal readonly struct UInt8 : IJsonTextElementReader<byte>
    {
        public static int Size => 1;

        public static string Expected => Integer;

        public static JsonElementStatus Read(ref Utf8JsonReader reader, Span<byte> destination)
        {
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetByte(out var value))
            {
                destination[0] = value;
                return JsonElementStatus.Ok;
            }

            return IntegerFailure(ref reader);
        }

        public static bool TryRead(ReadOnlySpan<byte> json, ref int position, out byte value)
            => JsonIntegerText.TryRead(json, ref position, out value);
    }

    internal readonly struct UInt16 : IJsonTextElementReader<ushort>
    {
        public static int Size => 2;

        public static string Expected => Integer;

        public static JsonElementStatus Read(ref Utf8JsonReader reader, Span<byte> destination)
        {
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetUInt16(out var value))
            {
                BinaryPrimitives.WriteUInt16LittleEndian(destination, value);
                return JsonElementStatus.Ok;
            }

            return IntegerFailure(ref reader);
        }

        public static bool TryRead(ReadOnlySpan<byte> json, ref int position, out ushort value)
            => JsonIntegerText.TryRead(json, ref position, out value);
    }

    internal readonly struct UInt32 : IJsonTextElementReader<uint>
    {
        public static int Size => 4;

        public static string Expected => Integer;

        public static JsonElementStatus Read(ref Utf8JsonReader reader, Span<byte> destination)
        {
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetUInt32(out var value))
            {
                BinaryPrimitives.WriteUInt32LittleEndian(destination, value);
                return JsonElementStatus.Ok;
            }

            return IntegerFailure(ref reader);
        }

        public static bool TryRead(ReadOnlySpan<byte> json, ref int position, out uint value)
            => JsonIntegerText.TryRead(json, ref position, out value);
    }

    internal readonly struct UInt64 : IJsonTextElementReader<ulong>
    {
        public static int Size => 8;

        public static string Expected => Integer;

        public static JsonElementStatus Read(ref Utf8JsonReader reader, Span<byte> destination)
        {
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetUInt64(out var value))
            {
                BinaryPrimitives.WriteUInt64LittleEndian(destination, value);
                return JsonElementStatus.Ok;
            }

            return IntegerFailure(ref reader);
        }

        public static bool TryRead(ReadOnlySpan<byte> json, ref int position, out ulong value)
            => JsonIntegerText.TryRead(json, ref position, out value);
    }

    internal readonly struct Int8 : IJsonTextElementReader<sbyte>
    {
        public static int Size => 1;

        public static string Expected => Integer;

        public static JsonElementStatus Read(ref Utf8JsonReader reader, Span<byte> destination)
        {
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetSByte(out var value))
            {
                destination[0] = unchecked((byte)value);
                return JsonElementStatus.Ok;
            }

            return IntegerFailure(ref reader);
        }

        public static bool TryRead(ReadOnlySpan<byte> json, ref int position, out sbyte value)
            => JsonIntegerText.TryRead(json, ref position, out value);
    }

    internal readonly struct Int16 : IJsonTextElementReader<short>
    {
        public static int Size => 2;

        public static string Expected => Integer;

        public static JsonElementStatus Read(ref Utf8JsonReader reader, Span<byte> destination)
        {
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt16(out var value))
            {
                BinaryPrimitives.WriteInt16LittleEndian(destination, value);
                return JsonElementStatus.Ok;
            }

            return IntegerFailure(ref reader);
        }

        public static bool TryRead(ReadOnlySpan<byte> json, ref int position, out short value)
            => JsonIntegerText.TryRead(json, ref position, out value);
    }

    internal readonly struct Int32 : IJsonTextElementReader<int>
    {
        public static int Size => 4;

        public static string Expected => Integer;

        public static JsonElementStatus Read(ref Utf8JsonReader reader, Span<byte> destination)
        {
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value))
            {
                BinaryPrimitives.WriteInt32LittleEndian(destination, value);
                return JsonElementStatus.Ok;
            }

            return IntegerFailure(ref reader);
        }

        public static bool TryRead(ReadOnlySpan<byte> json, ref int position, out int value)
            => JsonIntegerText.TryRead(json, ref position, out value);
    }

    internal readonly struct Int64 : IJsonTextElementReader<long>
    {
        public static int Size => 8;

        public static string Expected => Integer;

        public static JsonElementStatus Read(ref Utf8JsonReader reader, Span<byte> destination)
        {
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
            {
                BinaryPrimitives.WriteInt64LittleEndian(destination, value);
                return JsonElementStatus.Ok;
            }

            return IntegerFailure(ref reader);
        }

        public static bool TryRead(ReadOnlySpan<byte> json, ref int position, out long value)
            => JsonIntegerText.TryRead(json, ref position, out value);
    }

    internal readonly struct Fp16 : IJsonElementReader
    {
        public static int Size => 2;

        public static string Expected => Number;

        public static JsonElementStatus Read(ref Utf8JsonReader reader, Span<byte> destination)
        {
            Half value;
            if (reader.TokenType == JsonTokenType.Number)
            {
                // Parsed straight from the decimal text, so it rounds once, not via a double.
                var parsed = Half.TryParse(
                    reader.ValueSpan, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
                if (!parsed || Half.IsInfinity(value))
                {
                    return JsonElementStatus.OutOfRange;
                }
            }
            else if (reader.TokenType == JsonTokenType.String && JsonNumbers.TryReadNonFinite(ref reader, out var special))
            {
                value = (Half)special;
            }
            else
            {
                return JsonElementStatus.WrongKind;
            }

            BinaryPrimitives.WriteHalfLittleEndian(destination, value);
            return JsonElementStatus.Ok;
        }
    }

    internal readonly struct Bf16 : IJsonElementReader
    {
        public static int Size => 2;

        public static string Expected => Number;

        public static JsonElementStatus Read(ref Utf8JsonReader reader, Span<byte> destination)
        {
            ushort bits;
            if (reader.TokenType == JsonTokenType.Number)
            {
                if (!reader.TryGetSingle(out var value) || !float.IsFinite(value))
                {
                    return JsonElementStatus.OutOfRange;
                }

                bits = BFloat16Bits.FromSingle(value);
                if (float.IsInfinity(BFloat16Bits.ToSingle(bits)))
                {
                    return JsonElementStatus.OutOfRange;
                }
            }
            else if (reader.TokenType == JsonTokenType.String && JsonNumbers.TryReadNonFinite(ref reader, out var special))
            {
                bits = BFloat16Bits.FromSingle((float)special);
            }
            else
            {
                return JsonElementStatus.WrongKind;
            }

            BinaryPrimitives.WriteUInt16LittleEndian(destination, bits);
            return JsonElementStatus.Ok;
        }
    }

    internal readonly struct Fp32 : IJsonTextElementReader<float>
    {
        public static int Size => 4;

        public static string Expected => Number;

        public static JsonElementStatus Read(ref Utf8JsonReader reader, Span<byte> destination)
        {
            float value;
            if (reader.TokenType == JsonTokenType.Number)
            {
                // Read from the token's text as the one-pass reader reads it; TryGetSingle (which on
                // overflow may give infinity rather than fail) only for text split across segments.
                var read = reader.HasValueSequence
                    ? reader.TryGetSingle(out value) && float.IsFinite(value)
                    : JsonFloatText.TryParseSingle(reader.ValueSpan, out value);
                if (!read)
                {
                    return JsonElementStatus.OutOfRange;
                }
            }
            else if (reader.TokenType == JsonTokenType.String && JsonNumbers.TryReadNonFinite(ref reader, out var special))
            {
                value = (float)special;
            }
            else
            {
                return JsonElementStatus.WrongKind;
            }

            BinaryPrimitives.WriteSingleLittleEndian(destination, value);
            return JsonElementStatus.Ok;
        }

        public static bool TryRead(ReadOnlySpan<byte> json, ref int position, out float value)
        {
            if ((uint)position < (uint)json.Length && json[position] == (byte)'"')
            {
                var special = JsonNumbers.ReadNonFinite(json, ref position);
                value = (float)special;
                return !double.IsFinite(special);
            }

            return JsonFloatText.TryReadSingle(json, ref position, out value);
        }
    }

    internal readonly struct Fp64 : IJsonTextElementReader<double>
    {
        public static int Size => 8;

        public static string Expected => Number;

        public static JsonElementStatus Read(ref Utf8JsonReader reader, Span<byte> destination)
        {
            double value;
            if (reader.TokenType == JsonTokenType.Number)
            {
                if (!reader.TryGetDouble(out value) || !double.IsFinite(value))
                {
                    return JsonElementStatus.OutOfRange;
                }
            }
            else if (reader.TokenType != JsonTokenType.String || !JsonNumbers.TryReadNonFinite(ref reader, out value))
            {
                return JsonElementStatus.WrongKind;
            }

            BinaryPrimitives.WriteDoubleLittleEndian(destination, value);
            return JsonElementStatus.Ok;
        }

        public static bool TryRead(ReadOnlySpan<byte> json, ref int position, out double value)
        {
            if ((uint)position < (uint)json.Length && json[position] == (byte)'"')
            {
                var special = JsonNumbers.ReadNonFinite(json, ref position);
                value = special;
                return !double.IsFinite(special);
            }

            return JsonFloatText.TryReadDouble(json, ref position, out value);
        }
    }

    private static JsonElementStatus IntegerFailure(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            return JsonElementStatus.WrongKind;
        }

        // An integer literal that did not fit is out of range; 1.5 or 1e3 is not an integer at all.
        var raw = reader.ValueSpan;
        return raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0 ? JsonElementStatus.OutOfRange : JsonElementStatus.WrongKind;
    }
}
