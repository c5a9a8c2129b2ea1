using System.Text;
using System.Text.Json;

namespace Usher.Streaming.Pipeline;

/// <summary>
/// One pass over a request's JSON before it is decoded: is it JSON at all, which endpoint it names
/// (an optional top-level <c>model_name</c>, else the stream's model), and the routing key at a
/// dotted path such as <c>parameters.user_id</c>. Values are skipped, not materialised.
/// </summary>
internal readonly record struct RequestScan(string? ModelName, string? RoutingKey, string? Malformed, string? Id = null)
{
    private const int MaxKeyLength = 256;

    public static RequestScan Read(ReadOnlySpan<byte> json, IReadOnlyList<string>? keyPath)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return new RequestScan(null, null, "the request is not a JSON object");
            }

            string? model = null;
            string? key = null;
            string? id = null;
            Walk(ref reader, keyPath, 0, ref model, ref key, ref id);
            while (reader.Read())
            {
            }

            return new RequestScan(model, key, null, id);
        }
        catch (JsonException exception)
        {
            return new RequestScan(null, null, $"the request is not valid JSON: {exception.Message}");
        }
    }

    /// <summary>
    /// The request's top-level <c>id</c> alone, read up to it and no further (a source that names a
    /// message by it scanned the whole request for it, and the scorer then scanned it again); null when
    /// the request has none, or is not JSON up to it (the scorer's scan says what is wrong).
    /// </summary>
    public static string? ReadId(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("id"u8);
                reader.Read();
                if (isId && reader.TokenType is JsonTokenType.String or JsonTokenType.Number)
                {
                    return Scalar(ref reader);
                }

                reader.Skip();
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads the object the reader is at, to its end.</summary>
    private static void Walk(ref Utf8JsonReader reader, IReadOnlyList<string>? path, int depth, ref string? model, ref string? key, ref string? id)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var onPath = path is not null && depth < path.Count && reader.ValueTextEquals(path[depth]);
            var isModel = depth == 0 && reader.ValueTextEquals("model_name"u8);
            var isId = depth == 0 && reader.ValueTextEquals("id"u8);
            reader.Read();
            if (onPath && depth == path!.Count - 1)
            {
                key = Scalar(ref reader) ?? key;
            }
            else if (onPath && reader.TokenType == JsonTokenType.StartObject)
            {
                Walk(ref reader, path, depth + 1, ref model, ref key, ref id);
                continue;
            }
            else if (isModel && reader.TokenType == JsonTokenType.String)
            {
                model = reader.GetString();
            }
            else if (isId && reader.TokenType is JsonTokenType.String or JsonTokenType.Number)
            {
                id = Scalar(ref reader);
            }

            reader.Skip();
        }
    }

    private static string? Scalar(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => Cap(reader.GetString()),
        JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        _ => null,
    };

    private static string? Cap(string? text) => text is { Length: > MaxKeyLength } ? text[..MaxKeyLength] : text;
}
