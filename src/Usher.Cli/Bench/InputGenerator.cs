using System.Text.Json;

namespace Usher.Cli.Bench;

/// <summary>
/// Makes an inference request body (Open Inference Protocol JSON) from a model's metadata
/// (<c>GET /v2/models/{m}</c>): every input, random values of its datatype, seeded. A variable
/// first dimension (<c>-1</c>) is the batch; any other variable dimension is 1.
/// </summary>
internal static class InputGenerator
{
    /// <summary>The datatypes it can fill (and that the binary and gRPC encoders can send).</summary>
    public static readonly IReadOnlyList<string> Datatypes = ["FP32", "FP64", "INT8", "INT16", "INT32", "INT64", "UINT8", "BOOL"];

    /// <summary>The request body, or null with a problem naming the input that cannot be generated.</summary>
    public static byte[]? FromMetadata(JsonElement metadata, int batch, int seed, out string? problem)
    {
        problem = null;
        if (!metadata.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array || inputs.GetArrayLength() == 0)
        {
            problem = "the model's metadata lists no inputs";
            return null;
        }

        var random = new Random(seed);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("inputs");
            foreach (var input in inputs.EnumerateArray())
            {
                var name = input.GetProperty("name").GetString()!;
                var datatype = input.GetProperty("datatype").GetString()!;
                if (!Datatypes.Contains(datatype))
                {
                    problem = $"input '{name}': cannot generate {datatype} values (only {string.Join(", ", Datatypes)}); pass a request body with --input FILE";
                    return null;
                }

                var shape = input.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                for (var i = 0; i < shape.Length; i++)
                {
                    if (shape[i] < 0)
                    {
                        shape[i] = i == 0 ? batch : 1;
                    }
                }

                writer.WriteStartObject();
                writer.WriteString("name", name);
                writer.WriteStartArray("shape");
                foreach (var d in shape)
                {
                    writer.WriteNumberValue(d);
                }

                writer.WriteEndArray();
                writer.WriteString("datatype", datatype);
                writer.WriteStartArray("data");
                var count = shape.Aggregate(1L, (a, d) => a * d);
                for (var i = 0L; i < count; i++)
                {
                    WriteValue(writer, datatype, random);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    // Floats uniform in [-1, 1) with 4 decimals (short to send as JSON, exact enough for any model);
    // integers in [0, 10), small enough to be a valid index or token id for most models.
    private static void WriteValue(Utf8JsonWriter writer, string datatype, Random random)
    {
        switch (datatype)
        {
            case "FP32":
            case "FP64":
                writer.WriteNumberValue(Math.Round((random.NextDouble() * 2) - 1, 4));
                break;
            case "BOOL":
                writer.WriteBooleanValue(random.Next(2) == 1);
                break;
            default:
                writer.WriteNumberValue(random.Next(10));
                break;
        }
    }
}
