using System.Globalization;
using System.Text;
using System.Text.Json;
using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// For a large JSON body, one streaming pass before the document is built: an input whose
/// <c>data</c> holds more values than its <c>shape</c> declares is refused then, before the parser
/// spends 12 bytes a value on rows for all of them (a 60 MB body of the wrong shape used to take a
/// gigabyte that way). It builds nothing and allocates nothing per value; when the shape comes
/// first it stops one value past it. Anything it cannot judge (malformed JSON, odd shapes) is left
/// to the full reader, which reports it.
/// </summary>
internal static class JsonDataPrecheck
{
    /// <summary>Bodies up to this size go straight to the full reader: their rows cost little.</summary>
    public const int Above = 1024 * 1024;

    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>The error for the first input with more values than its shape declares, or null.</summary>
    public static InferenceError? Check(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8Json, Options);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("inputs"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }

                reader.Read();
                return reader.TokenType == JsonTokenType.StartArray ? CheckInputs(ref reader) : null;
            }
        }
        catch (JsonException)
        {
            // Malformed: the full reader says where.
        }

        return null;
    }

    private static InferenceError? CheckInputs(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            string? name = null;
            long? declared = null;
            long? values = null;
            long[]? shape = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("name"u8))
                {
                    reader.Read();
                    name = reader.TokenType == JsonTokenType.String ? Encoding.UTF8.GetString(reader.ValueSpan) : null;
                }
                else if (reader.ValueTextEquals("shape"u8))
                {
                    reader.Read();
                    shape = ReadShape(ref reader);
                    declared = shape is null ? null : Product(shape);
                }
                else if (reader.ValueTextEquals("data"u8))
                {
                    reader.Read();
                    values = CountValues(ref reader, declared);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }

                if (values > declared)
                {
                    var more = reader.TokenType is JsonTokenType.EndArray or JsonTokenType.EndObject ? $"{values}" : $"more than {declared}";
                    return InferenceError.Invalid(string.Create(
                        CultureInfo.InvariantCulture,
                        $"input '{EchoText.Value(name ?? "?")}': shape {TensorShape.Format(shape)} needs {declared} {(declared == 1 ? "element" : "elements")}, got {more}"));
                }
            }
        }

        return null;
    }

    /// <summary>The dims, or null for a shape the full reader will refuse or cannot count; the reader ends on the shape's last token.</summary>
    private static long[]? ReadShape(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return null;
        }

        var depth = reader.CurrentDepth;
        var dims = new List<long>();
        var valid = true;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == depth))
        {
            if (valid && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var dim) && dim >= 0 && dims.Count < RequestLimits.MaxDimensions)
            {
                dims.Add(dim);
            }
            else
            {
                valid = false;
            }
        }

        return valid ? [.. dims] : null;
    }

    private static long? Product(long[] dims)
    {
        long count = 1;
        foreach (var dim in dims)
        {
            if (dim != 0 && count > long.MaxValue / dim)
            {
                return null;
            }

            count *= dim;
        }

        return count;
    }

    /// <summary>
    /// The scalar values (leaves) in the value at the reader, stopping once past <paramref name="declared"/>
    /// (the reader then stands inside the value).
    /// </summary>
    private static long CountValues(ref Utf8JsonReader reader, long? declared)
    {
        if (reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.StartObject))
        {
            return 1;
        }

        var depth = reader.CurrentDepth;
        long values = 0;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.EndArray or JsonTokenType.EndObject when reader.CurrentDepth == depth:
                    return values;
                case JsonTokenType.StartArray or JsonTokenType.StartObject or JsonTokenType.EndArray or JsonTokenType.EndObject or JsonTokenType.PropertyName:
                    break;
                default:
                    if (++values > declared)
                    {
                        return values;
                    }

                    break;
            }
        }

        return values;
    }
}
